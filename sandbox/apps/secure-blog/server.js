// secure-blog: the sandbox's legacy Node app (standard library only, nothing to install).
// It refuses to start without its configuration, as the real one would fail on first use.
"use strict";
const fs = require("node:fs");
const http = require("node:http");

const required = ["PORT", "TABLE_NAME", "ASSETS_BUCKET"];
const missing = required.filter((name) => !process.env[name]);
if (missing.length) {
  console.error(`secure-blog: missing environment: ${missing.join(", ")}`);
  process.exit(78); // EX_CONFIG
}
const port = Number(process.env.PORT);
const posts = [
  { slug: "hello", title: "Hello from secure-blog" },
  { slug: "migrating", title: "Moving to ECS Express Mode" },
];

const server = http.createServer((req, res) => {
  const path = new URL(req.url, "http://localhost").pathname;
  if (path === "/health") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("ok\n");
  } else if (fs.existsSync("FAULT-5xx")) {
    // The sandbox's fault switch: a marker file in the working directory makes every page
    // fail while the health check still passes (a bad release's symptom).
    res.writeHead(500, { "content-type": "text/plain" });
    res.end("internal error\n");
  } else if (path === "/") {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    const items = posts.map((p) => `<li><a href="/posts/${p.slug}">${p.title}</a></li>`);
    res.end(`<h1>secure-blog</h1><p>posts from ${process.env.TABLE_NAME}</p><ul>${items.join("")}</ul>\n`);
  } else if (path.startsWith("/posts/")) {
    const post = posts.find((p) => `/posts/${p.slug}` === path);
    res.writeHead(post ? 200 : 404, { "content-type": "text/plain" });
    res.end(post ? `${post.title}\n` : "no such post\n");
  } else {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  }
});
server.listen(port, process.env.BIND_ADDRESS || "0.0.0.0", () => {
  console.log(`secure-blog listening on ${port}`);
});
