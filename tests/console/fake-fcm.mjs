// A local stand-in for Firebase Cloud Messaging (HTTP v1) for the console's push spec: an OAuth
// token endpoint for service accounts and `messages:send`, recording every message it accepts.
// It checks the shapes Berth must send, not the JWT signature (berth-push's own tests do that).
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { createServer } from "node:http";

export const PROJECT_ID = "berth-console-e2e";

export async function startFakeFcm() {
  const received = [];
  const tokens = new Set();
  const server = createServer(async (request, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    const answer = (status, value) => {
      response.writeHead(status, { "Content-Type": "application/json" });
      response.end(JSON.stringify(value));
    };
    if (request.method === "POST" && request.url === "/token") {
      const form = new URLSearchParams(body);
      if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer" || !form.get("assertion")) {
        return answer(400, { error: "invalid_request" });
      }
      const token = `ya29.e2e-${randomUUID()}`;
      tokens.add(token);
      return answer(200, { access_token: token, expires_in: 3600, token_type: "Bearer" });
    }
    if (request.method === "POST" && request.url === `/v1/projects/${PROJECT_ID}/messages:send`) {
      const bearer = (request.headers.authorization ?? "").replace(/^Bearer /, "");
      if (!tokens.has(bearer)) return answer(401, { error: { code: 401, status: "UNAUTHENTICATED" } });
      const { message } = JSON.parse(body);
      received.push(message);
      return answer(200, { name: `projects/${PROJECT_ID}/messages/${received.length}` });
    }
    if (request.method === "GET" && request.url === "/_received") return answer(200, received);
    return answer(404, { error: { code: 404, status: "NOT_FOUND" } });
  });
  await new Promise((listening) => server.listen(0, "127.0.0.1", listening));
  const url = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const serviceAccount = {
    type: "service_account",
    project_id: PROJECT_ID,
    private_key_id: "0123456789abcdef",
    private_key: privateKey,
    client_email: `console-e2e@${PROJECT_ID}.iam.gserviceaccount.com`,
    client_id: "100000000000000000000",
    token_uri: `${url}/token`,
  };
  return { url, serviceAccount, close: () => server.close() };
}
