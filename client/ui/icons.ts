// Toolbar icons as inline SVG (fixed path data, built with DOM calls), so they look the same in
// every font — a glyph like ⏩ is missing from many — and need no image requests.
const PATHS = {
  run: 'M8 5v14l11-7z',
  runAll: 'M3 5v14l8.5-7zM12.5 5v14l8.5-7z',
  stop: 'M6 6h12v12H6z',
  restart: 'M17.65 6.35A7.95 7.95 0 0 0 12 4a8 8 0 1 0 7.75 10h-2.08A6 6 0 1 1 12 6c1.66 0 3.14.69 4.22 1.78L13 11h7V4z',
  addCode: 'M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6z',
  addText: 'M5 4v3h5.5v12h3V7H19V4z',
  download: 'M5 20h14v-2H5zM19 9h-4V3H9v6H5l7 7z',
  folder: 'M10 4H4a2 2 0 0 0-2 2v12a2 2 0 0 0 2 2h16a2 2 0 0 0 2-2V8a2 2 0 0 0-2-2h-8z',
  more: 'M5 10a2 2 0 1 0 0 4a2 2 0 1 0 0-4zm7 0a2 2 0 1 0 0 4a2 2 0 1 0 0-4zm7 0a2 2 0 1 0 0 4a2 2 0 1 0 0-4z',
} as const;

export type IconName = keyof typeof PATHS;

const SVG = 'http://www.w3.org/2000/svg';

export function icon(name: IconName): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', PATHS[name]);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}
