import { forwardToApi } from "@/lib/proxy";

// Never prerender: runs are added and promoted while the page is up.
export const dynamic = "force-dynamic";

/** The registry's runs, best first (proxied GET /runs). */
export async function GET() {
  return forwardToApi("/runs", { method: "GET" });
}
