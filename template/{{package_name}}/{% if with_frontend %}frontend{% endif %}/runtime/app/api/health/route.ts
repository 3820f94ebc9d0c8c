import { NextResponse } from "next/server";

// Answered by this process alone, so the load balancer's check does not depend on the model API.
export const dynamic = "force-dynamic";

/** Liveness for the load balancer's health check. */
export function GET() {
  return NextResponse.json({ status: "ok" });
}
