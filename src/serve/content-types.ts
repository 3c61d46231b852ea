/**
 * File extension → Content-Type, shared by the built-in server and the rendered nginx `types`
 * block so both answer with the same type. Text types get `charset=utf-8` (nginx adds it through
 * `charset_types`); `compressible` types are the ones worth gzip on the fly in nginx.
 */
export interface ContentType {
  readonly type: string
  readonly charset: boolean
  readonly compressible: boolean
}

const text = (type: string): ContentType => ({ type, charset: true, compressible: true })
const binary = (type: string, compressible = false): ContentType => ({ type, charset: false, compressible })

export const CONTENT_TYPES: Readonly<Record<string, ContentType>> = {
  html: text('text/html'),
  htm: text('text/html'),
  css: text('text/css'),
  js: text('text/javascript'),
  mjs: text('text/javascript'),
  json: text('application/json'),
  map: text('application/json'),
  webmanifest: text('application/manifest+json'),
  txt: text('text/plain'),
  md: text('text/markdown'),
  csv: text('text/csv'),
  xml: text('application/xml'),
  rss: text('application/rss+xml'),
  atom: text('application/atom+xml'),
  svg: text('image/svg+xml'),
  png: binary('image/png'),
  jpg: binary('image/jpeg'),
  jpeg: binary('image/jpeg'),
  gif: binary('image/gif'),
  webp: binary('image/webp'),
  avif: binary('image/avif'),
  ico: binary('image/x-icon', true),
  woff: binary('font/woff'),
  woff2: binary('font/woff2'),
  ttf: binary('font/ttf', true),
  otf: binary('font/otf', true),
  wasm: binary('application/wasm', true),
  pdf: binary('application/pdf'),
  zip: binary('application/zip'),
  mp4: binary('video/mp4'),
  webm: binary('video/webm'),
  mp3: binary('audio/mpeg'),
  ogg: binary('audio/ogg'),
}

export const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

/** The Content-Type header value for a file name, as both servers send it. */
export function contentTypeFor(fileName: string): string {
  const dot = fileName.lastIndexOf('.')
  const known = dot < 0 ? undefined : CONTENT_TYPES[fileName.slice(dot + 1).toLowerCase()]
  if (!known) return DEFAULT_CONTENT_TYPE
  return known.charset ? `${known.type}; charset=utf-8` : known.type
}
