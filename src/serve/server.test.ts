import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import { serveStatic, type StaticServer } from './server.js';

/** A raw GET (fetch would normalise '..' away before it reaches the server). */
function get(
  url: string,
  rawPath: string,
  method = 'GET',
  headers: Record<string, string> = {},
): Promise<{ status: number; type?: string; body: string; location?: string }> {
  const u = new URL(url);
  // Without a Host header of the caller's, node sends '<host>:<port>' of the URL.
  const setHost = !('host' in headers) || headers.host !== '';
  if (!setHost) delete headers.host;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method, headers, setHost }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body, location: res.headers.location }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static server', () => {
  let root: string;
  let server: StaticServer;

  beforeAll(async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'cmkd-serve-'));
    root = path.join(base, 'run');
    await mkdir(path.join(root, 'student'), { recursive: true });
    await mkdir(path.join(root, 'figures'), { recursive: true });
    await writeFile(path.join(root, 'report.html'), '<h1>report</h1>');
    await writeFile(path.join(root, 'student', 'index.html'), '<h1>student</h1>');
    await writeFile(path.join(root, 'student', 'weights.bin'), new Uint8Array([1, 2, 3]));
    await writeFile(path.join(root, 'figures', 'a b.svg'), '<svg/>');
    await writeFile(path.join(base, 'secret.txt'), 'CONTENT-OUTSIDE-ROOT');
    await symlink(path.join(base, 'secret.txt'), path.join(root, 'link.txt'));
    // A folder whose index.html leads out of the root, and dotfiles (hidden from listings).
    await mkdir(path.join(root, 'sub'));
    await symlink(path.join(base, 'secret.txt'), path.join(root, 'sub', 'index.html'));
    await writeFile(path.join(root, '.secret'), 'DOTFILE-CONTENT');
    await mkdir(path.join(root, '.git'));
    await writeFile(path.join(root, '.git', 'config'), 'DOTFILE-CONTENT');
    await symlink('.secret', path.join(root, 'alias.txt'));
    server = await serveStatic(root, { port: 0 });
  });
  afterAll(() => server.close());

  it('listens on the loopback interface only', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it('serves files with their content type, folders by index.html or a listing', async () => {
    expect(await get(server.url, '/report.html')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<h1>report</h1>' });
    expect(await get(server.url, '/student/weights.bin')).toMatchObject({ status: 200, type: 'application/octet-stream' });
    expect(await get(server.url, '/figures/a%20b.svg')).toMatchObject({ status: 200, type: 'image/svg+xml', body: '<svg/>' });
    expect(await get(server.url, '/student/')).toMatchObject({ status: 200, body: '<h1>student</h1>' });
    expect(await get(server.url, '/student')).toMatchObject({ status: 301, location: '/student/' });
    const listing = await get(server.url, '/');
    expect(listing.status).toBe(200);
    expect(listing.body).toContain('<a href="/student/">student/</a>');
    expect(listing.body).toContain('<a href="/report.html">report.html</a>');
  });

  it('never serves outside the folder, not even through a symlink', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/student/..%2f..%2fsecret.txt', '/..%5csecret.txt']) {
      const r = await get(server.url, p);
      expect([403, 404]).toContain(r.status);
      expect(r.body).not.toContain('CONTENT-OUTSIDE-ROOT');
    }
    expect((await get(server.url, '/link.txt')).status).toBe(403);
    expect((await get(server.url, '/missing.html')).status).toBe(404);
  });

  it("does not serve a folder's index.html that is a symlink out of the folder", async () => {
    for (const p of ['/sub/', '/sub/index.html']) {
      const r = await get(server.url, p);
      expect([403, 404], p).toContain(r.status);
      expect(r.body).not.toContain('CONTENT-OUTSIDE-ROOT');
    }
    expect((await get(server.url, '/sub/', 'HEAD')).status).toBe(403);
  });

  it('answers 404 for dotfiles and dot-folders, also through a symlink, as the listing hides them', async () => {
    for (const p of ['/.secret', '/.git/config', '/.git/', '/%2esecret', '/student/../.secret', '/alias.txt']) {
      const r = await get(server.url, p);
      expect(r.status, p).toBe(404);
      expect(r.body).not.toContain('DOTFILE-CONTENT');
    }
    expect((await get(server.url, '/')).body).not.toMatch(/\.secret|\.git/);
  });

  it('answers only requests addressed to the loopback names (no DNS rebinding)', async () => {
    const port = server.port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LocalHost:${port}`, `[::1]:${port}`]) {
      expect((await get(server.url, '/report.html', 'GET', { host })).status, host).toBe(200);
    }
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', `localhost.evil.example:${port}`]) {
      const r = await get(server.url, '/report.html', 'GET', { host });
      expect(r.status, host).toBe(403);
      expect(r.body).toBe('forbidden\n');
    }
    // No Host header at all: node itself answers 400 before the request reaches cmkd.
    const none = await get(server.url, '/report.html', 'GET', { host: '' });
    expect(none.status).toBe(400);
    expect(none.body).not.toContain('report');
  });

  it('answers only GET and HEAD', async () => {
    expect(await get(server.url, '/report.html', 'HEAD')).toMatchObject({ status: 200, body: '' });
    expect((await get(server.url, '/report.html', 'POST')).status).toBe(405);
  });

  it('says which port is taken, and refuses a missing folder', async () => {
    await expect(serveStatic(root, { port: server.port })).rejects.toThrow(new RegExp(`port ${server.port} on 127.0.0.1 is in use`));
    await expect(serveStatic(path.join(root, 'nope'))).rejects.toBeInstanceOf(CmkdError);
  });
});
