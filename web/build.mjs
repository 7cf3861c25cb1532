// Bundles the pages into dist/ (the hub's default web_dir): one script and one stylesheet
// per page under dist/assets/, the pages' HTML at their paths, MapLibre as the prebuilt
// module it ships (so each page's own code stays small and MapLibre finds its worker
// beside itself), the per-language strings, and the crew app's service worker with the
// list of files it keeps for offline use.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');

// page folder under src/pages → where it is served, its title, whether it draws a map.
const pages = {
  desk: { path: '', title: 'Dispatcher desk', map: true },
  crew: { path: 'crew', title: 'Crew', map: true, head: ['<link rel="manifest" href="/crew/manifest.webmanifest">', '<meta name="theme-color" content="#1b2230">'] },
  report: { path: 'report', title: 'Report a problem', map: true },
  follow: { path: 'follow', title: 'Follow a request', map: false },
  transparency: { path: 'transparency', title: 'Transparency', map: true },
  admin: { path: 'admin', title: 'Admin', map: true },
};

// Every page is the same shell: its stylesheet(s) and its module script, nothing inline;
// the modules it imports are named up front (modulepreload) so that they load at once
// rather than one level of imports after another.
const html = (name, { title, map, head = [] }, preload) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Glassbrain — ${title}</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
${[...head, map ? '<link rel="stylesheet" href="/assets/maplibre-gl.css">' : null].filter(Boolean).join('\n')}
<link rel="stylesheet" href="/assets/${name}.css">
<script type="module" src="/assets/${name}.js"></script>
${preload.map((f) => `<link rel="modulepreload" href="/assets/${f}">`).join('\n')}
</head>
<body>
<div id="app"><noscript>This page needs JavaScript.</noscript></div>
</body>
</html>
`;

rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, 'assets'), { recursive: true });

const maplibre = join(root, 'node_modules', 'maplibre-gl', 'dist');
for (const f of ['maplibre-gl.mjs', 'maplibre-gl-worker.mjs', 'maplibre-gl.css']) cpSync(join(maplibre, f), join(dist, 'assets', f));
cpSync(join(src, 'i18n'), join(dist, 'i18n'), { recursive: true });

const common = {
  bundle: true,
  format: 'esm',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
  // The pages load MapLibre from its own file; see lib/map.js.
  external: ['/assets/maplibre-gl.mjs'],
};

const result = await esbuild.build({
  ...common,
  entryPoints: Object.keys(pages).map((p) => ({ in: join(src, 'pages', p, 'main.js'), out: p })),
  outdir: join(dist, 'assets'),
  splitting: true,
  chunkNames: 'chunk-[hash]',
  metafile: true,
});

const outputs = result.metafile.outputs;  // keys relative to web/ (absWorkingDir)
// The files under dist/assets/ that a page's script imports, directly or not.
function importsOf(file, into = new Set()) {
  for (const imp of outputs[`dist/assets/${file}`]?.imports ?? []) {
    const name = imp.path.replace(/^\/?(dist\/)?assets\//, '');
    if (!into.has(name)) { into.add(name); if (!imp.external) importsOf(name, into); }
  }
  return into;
}
for (const [name, page] of Object.entries(pages)) {
  mkdirSync(join(dist, page.path), { recursive: true });
  writeFileSync(join(dist, page.path, 'index.html'), html(name, page, [...importsOf(`${name}.js`)].sort()));
}
// The list worker (lib/list-worker.js) as one classic script, so that it starts after one
// request rather than after one per module it imports.
await esbuild.build({
  ...common,
  format: 'iife',
  entryPoints: [join(src, 'lib', 'list-worker.js')],
  outfile: join(dist, 'assets', 'list-worker.js'),
});
cpSync(join(src, 'icon.svg'), join(dist, 'assets', 'icon.svg'));
cpSync(join(src, 'pages', 'crew', 'manifest.webmanifest'), join(dist, 'crew', 'manifest.webmanifest'));

// The crew app's offline shell: its page, its script with the chunks it imports, styles,
// MapLibre and the strings. Listed in the worker so that a new build is a new worker.
const crewAssets = importsOf('crew.js', new Set(['crew.js', 'crew.css', 'maplibre-gl.mjs', 'maplibre-gl-worker.mjs', 'maplibre-gl.css']));
const shell = ['/crew/', '/crew/manifest.webmanifest', '/assets/icon.svg', ...[...crewAssets].sort().map((f) => '/assets/' + f),
  ...readdirSync(join(src, 'i18n')).map((f) => '/i18n/' + f)];
const build = createHashOf(shell.map((f) => (f.startsWith('/assets/') ? readFileSync(join(dist, f)) : f)));

await esbuild.build({
  ...common,
  format: 'iife',
  sourcemap: false,
  entryPoints: [join(src, 'pages', 'crew', 'sw.js')],
  outfile: join(dist, 'crew', 'sw.js'),
  define: { SHELL_FILES: JSON.stringify(shell), BUILD_ID: JSON.stringify(build) },
});

function createHashOf(parts) {
  // FNV-1a over the shell's contents: a changed file gives the worker a new cache name.
  let h = 0x811c9dc5;
  for (const p of parts) for (const b of Buffer.from(p)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16);
}

console.log(`web: built ${Object.keys(pages).length} pages into ${relative(process.cwd(), dist) || '.'}`);
