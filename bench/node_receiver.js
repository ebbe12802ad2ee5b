// A minimal Recall webhook receiver in Node.js: the peer most people
// would write first. It checks the token, parses the body with
// JSON.parse, checks for a string "event" and answers 200; it stores
// nothing (no durability), so it is a lower bound on a real Node receiver.
//
//   node node_receiver.js PORT PATH TOKEN
'use strict';
const http = require('http');

const [port, path, token] = process.argv.slice(2);
if (!port || !path || !token) {
  console.error('usage: node node_receiver.js PORT PATH TOKEN');
  process.exit(2);
}

function reply(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function handle(req, res) {
  const q = req.url.indexOf('?');
  const reqPath = q < 0 ? req.url : req.url.slice(0, q);
  if (reqPath !== path) return reply(res, 404, 'not found\n');
  if (req.method !== 'POST') return reply(res, 405, 'method not allowed\n');
  const query = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1));
  if (query.get('token') !== token) return reply(res, 401, 'unauthorized\n');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let event;
    try {
      event = JSON.parse(Buffer.concat(chunks));
    } catch (e) {
      return reply(res, 400, 'not JSON\n');
    }
    if (event === null || typeof event.event !== 'string') {
      return reply(res, 400, 'no string event\n');
    }
    reply(res, 200, 'ok\n');
  });
}

http.createServer(handle).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
