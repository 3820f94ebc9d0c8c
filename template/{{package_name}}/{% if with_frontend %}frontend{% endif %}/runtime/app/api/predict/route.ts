import { NextResponse } from "next/server";

import { forwardToApi, readJsonBody } from "@/lib/proxy";

export const dynamic = "force-dynamic";

/** A prediction for one set of feature values (proxied POST /predict); the API validates them. */
export async function POST(request: Request) {
  const parsed = await readJsonBody(request);
  if (parsed instanceof NextResponse) {
    return parsed;
  }
  return forwardToApi("/predict", { method: "POST", body: parsed.value });
}
