/**
 * A small static file server for a run folder, on the loopback interface only: the report,
 * the figures and the in-browser student (whose model files a browser will not fetch from
 * file://). GET and HEAD only; requests must be addressed to a loopback name (Host header);
 * paths cannot leave the root, even through symlinks; dotfiles are not served; folders serve
 * their index.html or a plain listing.
 */
import { createReadStream, existsSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CmkdError } from '../util/errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.wasm': 'application/wasm',
};

export function contentType(file: string): string {
  return TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export interface StaticServer {
  /** Base URL, e.g. http://127.0.0.1:8080/ */
  url: string;
  port: number;
  root: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** TCP port; 0 picks a free one (default 8080). */
  port?: number;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

async function listing(dir: string, urlPath: string): Promise<string> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => Number(b.isDirectory()) - Number(a.isDirectory()) || a.name.localeCompare(b.name));
  const base = urlPath.endsWith('/') ? urlPath : `${urlPath}/`;
  const items = entries.map((e) => {
    const name = e.name + (e.isDirectory() ? '/' : '');
    return `<li><a href="${esc(base + encodeURIComponent(e.name) + (e.isDirectory() ? '/' : ''))}">${esc(name)}</a></li>`;
  });
  const up = base !== '/' ? '<li><a href="../">../</a></li>' : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(base)}</title>
<style>body{font:15px/1.6 system-ui,"DejaVu Sans",sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}a{color:#2563eb}</style></head>
<body><h1>${esc(base)}</h1><ul>${up}${items.join('')}</ul></body></html>`;
}

type Resolved = { file: string } | { status: 403 | 404 };

/** Whether a path has a segment starting with '.': dotfiles and dot-folders (hidden from listings), '..'. */
const hasDotSegment = (p: string) => p.split(/[\\/]/).some((seg) => seg.startsWith('.'));

/** The real path of `target` if it exists and, after resolving symlinks, is inside root and no dotfile. */
async function realInside(root: string, target: string): Promise<Resolved> {
  let real: string;
  try {
    real = await realpath(target);
  } catch {
    return { status: 404 };
  }
  if (real !== root && !real.startsWith(root + path.sep)) return { status: 403 };
  return hasDotSegment(path.relative(root, real)) ? { status: 404 } : { file: real };
}

/** Resolve a URL path to a real file or folder inside root, or the status to answer instead. */
async function resolveInside(root: string, urlPath: string): Promise<Resolved> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return { status: 403 };
  }
  if (decoded.includes('\0')) return { status: 403 };
  if (hasDotSegment(decoded)) return { status: 404 };
  const target = path.resolve(root, '.' + path.posix.normalize('/' + decoded));
  if (target !== root && !target.startsWith(root + path.sep)) return { status: 403 };
  return realInside(root, target);
}

/**
 * The Host header values a request may carry: the loopback names with the server's port. A web
 * page on another site can point its own name at 127.0.0.1 (DNS rebinding) and read the run
 * through the browser; its requests then carry that name, so they are refused.
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  // An interface the caller chose (other than a wildcard) is also a name the server is reached by.
  if (host !== '0.0.0.0' && host !== '::') names.push(host.includes(':') ? `[${host}]` : host);
  const allowed = new Set(names.map((n) => `${n.toLowerCase()}:${port}`));
  // Browsers leave out the default port.
  if (port === 80) for (const n of names) allowed.add(n.toLowerCase());
  return allowed;
}

/** Serve `rootDir` over HTTP on 127.0.0.1 until `close()`. */
export async function serveStatic(rootDir: string, opts: ServeOptions = {}): Promise<StaticServer> {
  if (!existsSync(rootDir)) throw new CmkdError(`folder to serve not found: ${rootDir}`, 'not-found');
  if (!(await stat(rootDir)).isDirectory()) throw new CmkdError(`${rootDir} is a file; expected a run folder`, 'invalid-input');
  const root = await realpath(rootDir);
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8080;
  if (!(Number.isInteger(port) && port >= 0 && port < 65536))
    throw new CmkdError(`port ${port}: expected an integer in 0..65535`, 'invalid-option');

  // Filled in once listening, when the port is known; until then every request is refused.
  let hosts = new Set<string>();
  const server = http.createServer((req, res) => {
    void (async () => {
      const send = (code: number, text: string) => {
        res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(req.method === 'HEAD' ? undefined : `${text}\n`);
      };
      if (!hosts.has((req.headers.host ?? '').toLowerCase())) return send(403, 'forbidden');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('Allow', 'GET, HEAD');
        return send(405, 'method not allowed');
      }
      const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
      const notFound = () => send(404, `not found: ${urlPath}`);
      const found = await resolveInside(root, urlPath);
      if ('status' in found) return found.status === 403 ? send(403, 'forbidden') : notFound();
      // Served by its real path (checked to be inside root), not by the name that may be a symlink.
      let file = found.file;
      let st = await stat(file);
      if (st.isDirectory()) {
        if (!urlPath.endsWith('/')) {
          res.writeHead(301, { Location: `${urlPath}/` });
          return res.end();
        }
        // The index file may be a symlink too: it gets the same check as any file.
        const index = existsSync(path.join(file, 'index.html')) ? await realInside(root, path.join(file, 'index.html')) : null;
        if (index !== null && 'status' in index) return index.status === 403 ? send(403, 'forbidden') : notFound();
        const ist = index === null ? null : await stat(index.file);
        if (index === null || !ist?.isFile()) {
          const html = await listing(file, urlPath);
          res.writeHead(200, { 'Content-Type': TYPES['.html'], 'Cache-Control': 'no-store' });
          return res.end(req.method === 'HEAD' ? undefined : html);
        }
        [file, st] = [index.file, ist];
      }
      // Regular files only (a FIFO or device would hang or stream forever).
      if (!st.isFile()) return notFound();
      // The type follows the name asked for, as before symlinks were resolved.
      const type = file === found.file ? contentType(urlPath) : TYPES['.html'];
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': st.size, 'Cache-Control': 'no-store' });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file)
        .on('error', () => res.destroy())
        .pipe(res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(new CmkdError(`port ${port} on ${host} is in use; pick another with --port (0 = any free port)`, 'invalid-option'));
      else if (err.code === 'EACCES')
        reject(new CmkdError(`no permission to listen on port ${port}; use a port above 1023`, 'invalid-option'));
      else reject(err);
    });
    server.listen(port, host, () => {
      hosts = allowedHosts(host, (server.address() as AddressInfo).port);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}/`,
    port: actual,
    root,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
