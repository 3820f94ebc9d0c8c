/**
 * Server-side forwarding from this app's /api routes to the model API.
 *
 * The browser only talks to this app; the server calls the model API at API_URL. Where API
 * Gateway checks IAM auth, API_SIGNING_REGION is set and each request is signed with the
 * instance role's credentials (lib/signed-fetch.ts), so the API's auth and throttling apply to
 * the page's requests as to any other caller's.
 */
import { NextResponse } from "next/server";

import type { ApiErrorBody } from "@/lib/api-types";
import { apiFetch } from "@/lib/signed-fetch";

/** How long to wait for the model API before giving up on a request. */
const API_TIMEOUT_MS = 15_000;

function errorResponse(status: number, detail: string): NextResponse<ApiErrorBody> {
  return NextResponse.json({ detail }, { status });
}

/**
 * The model API's base URL, read on every request so that one build serves any environment.
 * Returns an error response instead when API_URL is unset or not an http(s) URL.
 */
function apiBaseUrl(): string | NextResponse<ApiErrorBody> {
  const raw = process.env.API_URL?.trim();
  if (!raw) {
    return errorResponse(
      500,
      "The frontend is not configured: set the API_URL environment variable to the model API's address.",
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return errorResponse(500, `The frontend is misconfigured: API_URL (${raw}) is not a valid URL.`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    return errorResponse(500, `The frontend is misconfigured: API_URL (${raw}) must be http or https.`);
  }
  // Keep any path prefix in API_URL; only drop trailing slashes before appending the route.
  return raw.replace(/\/+$/, "");
}

/**
 * Send one request to the model API and hand its status code and JSON body back unchanged.
 *
 * Answers 502 when the API cannot be reached or does not answer with JSON, 504 when it does
 * not answer within API_TIMEOUT_MS, and 500 when a request must be signed and no AWS
 * credentials are found.
 */
export async function forwardToApi(
  path: string,
  init: { method: "GET" } | { method: "POST"; body: unknown },
): Promise<NextResponse> {
  const base = apiBaseUrl();
  if (typeof base !== "string") {
    return base;
  }

  let upstream: Response;
  try {
    upstream = await apiFetch(
      `${base}${path}`,
      {
        method: init.method,
        headers:
          init.method === "POST"
            ? { accept: "application/json", "content-type": "application/json" }
            : { accept: "application/json" },
        body: init.method === "POST" ? JSON.stringify(init.body) : undefined,
        signal: AbortSignal.timeout(API_TIMEOUT_MS),
      },
      process.env.API_SIGNING_REGION?.trim() || undefined,
    );
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      return errorResponse(504, `The model API did not answer within ${API_TIMEOUT_MS / 1000} seconds.`);
    }
    if (error instanceof Error && error.name === "CredentialsProviderError") {
      return errorResponse(
        500,
        "The frontend cannot sign its requests to the model API: it finds no AWS credentials (API_SIGNING_REGION is set).",
      );
    }
    return errorResponse(502, "The model API cannot be reached. It may be starting up; try again shortly.");
  }

  let body: unknown;
  try {
    body = await upstream.json();
  } catch {
    // A load balancer error page or an empty body: keep an error status, never claim success.
    const status = upstream.ok ? 502 : upstream.status;
    return errorResponse(status, `The model API answered ${upstream.status} without a JSON body.`);
  }
  return NextResponse.json(body, { status: upstream.status });
}

/** Parse a route handler's JSON request body, or return a 400 error response. */
export async function readJsonBody(request: Request): Promise<{ value: unknown } | NextResponse> {
  try {
    return { value: await request.json() };
  } catch {
    return errorResponse(400, "The request body must be JSON.");
  }
}
