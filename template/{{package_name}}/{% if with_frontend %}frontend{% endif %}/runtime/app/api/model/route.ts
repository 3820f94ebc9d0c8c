import { forwardToApi } from "@/lib/proxy";

// Never prerender: the model changes whenever the pipeline promotes a new run.
export const dynamic = "force-dynamic";

/** The model the API serves (proxied GET /model). */
export async function GET() {
  return forwardToApi("/model", { method: "GET" });
}
