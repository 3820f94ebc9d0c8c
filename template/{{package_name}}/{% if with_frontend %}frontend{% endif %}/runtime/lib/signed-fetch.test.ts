/**
 * The model API sees signed requests: a local server records what apiFetch sends, and the
 * test checks its signature the way API Gateway does, from the received request and the key.
 */
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { apiFetch } from "./signed-fetch";

const ACCESS_KEY = "AKIDEXAMPLE";
const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SESSION_TOKEN = "session-token-of-the-instance-role";
const REGION = "eu-west-1";

interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

let received: Recorded[] = [];
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    received.push({
      method: request.method ?? "",
      path: request.url ?? "",
      headers: request.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    });
    response.writeHead(200, { "content-type": "application/json" });
    response.end("{}");
  });
});
let baseUrl = "";

before(async () => {
  // The SDK's default chain takes credentials from the environment first.
  process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY;
  process.env.AWS_SESSION_TOKEN = SESSION_TOKEN;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.close();
});

const sha256 = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

/** The signature of ``request`` under SigV4, computed from what the server received. */
function expectedSignature(request: Recorded, signedHeaderNames: string[], scope: string): string {
  const header = (name: string) => String(request.headers[name]).trim();
  const canonicalRequest = [
    request.method,
    request.path,
    "",
    ...signedHeaderNames.map((name) => `${name}:${header(name)}`),
    "",
    signedHeaderNames.join(";"),
    sha256(request.body),
  ].join("\n");
  const amzDate = header("x-amz-date");
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const [date, region, service] = scope.split("/");
  const key = hmac(hmac(hmac(hmac(`AWS4${SECRET_KEY}`, date), region), service), "aws4_request");
  return createHmac("sha256", key).update(stringToSign).digest("hex");
}

test("a request to API Gateway carries a SigV4 signature for execute-api that verifies", async () => {
  received = [];
  const body = JSON.stringify({ features: { sepal_length: 6.3 } });
  const response = await apiFetch(
    `${baseUrl}/predict`,
    { method: "POST", headers: { accept: "application/json", "content-type": "application/json" }, body },
    REGION,
  );
  assert.equal(response.status, 200);
  const [request] = received;
  assert.equal(request.body, body);

  const authorization = String(request.headers.authorization);
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8}\/([^/]+)\/([^/]+)\/aws4_request), SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  assert.ok(match, `not a SigV4 Authorization header: ${authorization}`);
  const [, accessKey, scope, region, service, signedHeaderList, signature] = match;
  assert.equal(accessKey, ACCESS_KEY);
  assert.equal(region, REGION);
  assert.equal(service, "execute-api");
  const signedHeaderNames = signedHeaderList.split(";");
  for (const name of ["host", "x-amz-date", "x-amz-security-token", "content-type"]) {
    assert.ok(signedHeaderNames.includes(name), `${name} is not signed: ${signedHeaderList}`);
  }
  assert.equal(request.headers["x-amz-security-token"], SESSION_TOKEN);
  assert.equal(signature, expectedSignature(request, signedHeaderNames, scope));
});

test("a GET is signed too, and without a signing region nothing is", async () => {
  received = [];
  await apiFetch(`${baseUrl}/model`, { method: "GET", headers: { accept: "application/json" } }, REGION);
  await apiFetch(`${baseUrl}/model`, { method: "GET", headers: { accept: "application/json" } }, undefined);
  const [signed, unsigned] = received;
  assert.match(String(signed.headers.authorization), /^AWS4-HMAC-SHA256 Credential=.*\/execute-api\//);
  assert.equal(unsigned.headers.authorization, undefined);
  assert.equal(unsigned.headers["x-amz-date"], undefined);
});
