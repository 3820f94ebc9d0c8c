/**
 * The server's requests to the model API, signed with AWS Signature Version 4 where the API
 * checks IAM auth (API Gateway with api_auth: iam).
 *
 * With a signing region, each request carries an Authorization header for the execute-api
 * service in that region, made with the credentials of the AWS SDK's default chain: on the
 * instance, its role (through the instance metadata service); elsewhere, the usual AWS_*
 * environment variables or profile. Without one, the request goes out unsigned.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { SignatureV4 } from "@smithy/signature-v4";

/** What this app sends to the model API. */
export interface ApiRequestInit {
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

// One credential chain for the process: it caches the role's credentials and renews them
// before they expire.
let credentials: ReturnType<typeof defaultProvider> | undefined;

/**
 * The headers of ``init`` plus the signature headers (Authorization, X-Amz-Date and, with
 * temporary credentials, X-Amz-Security-Token) for ``url`` in ``region``.
 */
export async function signedHeaders(
  url: string,
  init: ApiRequestInit,
  region: string,
): Promise<Record<string, string>> {
  credentials ??= defaultProvider();
  const target = new URL(url);
  const signer = new SignatureV4({ service: "execute-api", region, credentials, sha256: Sha256 });
  const signed = await signer.sign({
    method: init.method,
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port ? Number(target.port) : undefined,
    path: target.pathname,
    query: Object.fromEntries(target.searchParams),
    // Signed as fetch will send it: URL.host leaves out the scheme's default port.
    headers: { ...init.headers, host: target.host },
    body: init.body,
  });
  // fetch sets Host from the URL itself.
  const headers = { ...signed.headers };
  delete headers.host;
  return headers;
}

/** fetch ``url``, signed for execute-api in ``region`` when one is given. */
export async function apiFetch(
  url: string,
  init: ApiRequestInit,
  region: string | undefined,
): Promise<Response> {
  const headers = region ? await signedHeaders(url, init, region) : init.headers;
  return fetch(url, {
    method: init.method,
    headers,
    body: init.body,
    cache: "no-store",
    signal: init.signal,
  });
}
