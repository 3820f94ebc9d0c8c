import { NextResponse } from "next/server";

import { forwardToApi, readJsonBody } from "@/lib/proxy";

export const dynamic = "force-dynamic";

/** Predictions for up to 1000 rows (proxied POST /predict/batch); the API validates them. */
export async function POST(request: Request) {
  const parsed = await readJsonBody(request);
  if (parsed instanceof NextResponse) {
    return parsed;
  }
  return forwardToApi("/predict/batch", { method: "POST", body: parsed.value });
}
