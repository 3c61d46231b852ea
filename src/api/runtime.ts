/**
 * Runtime: a stack template (seed 001) — base image, how a pushed commit becomes an image (the
 * build strategy, the Dockerfile used when a pushed repo has none), the port the app listens on
 * and its health path. Cluster-scoped, managed by the operator.
 */
import { type SchemaOptions, type Static, Type } from '@sinclair/typebox'
import { commonStatus, conditionColumn } from './conditions.js'
import type { KindDefinition } from './kind.js'
import { AbsoluteDirectory, celMatches, celRules, EnvList, StringEnum, UrlPath } from './schema-kit.js'

/** A container image reference: registry/repository[:tag][@sha256:digest], lower-case repository. */
export const IMAGE =
  '^[a-z0-9]([a-z0-9._:-]*[a-z0-9])?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$'

export const Image = (what: string, options: { readonly digestRequired: boolean }) =>
  Type.String({
    maxLength: 512,
    ...celRules(
      {
        rule: celMatches('self', IMAGE),
        message: `${what} must be an image reference such as registry.example.com/app:1.2`,
      },
      ...(options.digestRequired
        ? [
            {
              rule: celMatches('self', '@sha256:[a-f0-9]{64}$'),
              message: `${what} must be pinned by digest (…@sha256:<64 hex digits>) so every replica runs the same build`,
            },
          ]
        : []),
    ),
  })

/**
 * How a push becomes an image: `layer` appends the pushed tree to the base image as one layer and
 * runs no tenant code (static files, PHP); `buildpacks` and `dockerfile` run a build Job.
 */
export const BUILD_STRATEGIES = ['layer', 'buildpacks', 'dockerfile'] as const
export type BuildStrategy = (typeof BUILD_STRATEGIES)[number]

export const BuildStrategy = (what: string, options: SchemaOptions = {}) =>
  StringEnum(BUILD_STRATEGIES, { description: `${what}: layer, buildpacks or dockerfile.`, ...options })

export const RuntimeSpec = Type.Object({
  description: Type.Optional(Type.String({ maxLength: 1024 })),
  image: Image('image', { digestRequired: false }),
  dockerfile: Type.Optional(
    Type.String({
      maxLength: 65536,
      description: 'Dockerfile template used when a pushed repository has none.',
    }),
  ),
  build: Type.Optional(
    Type.Object(
      {
        strategy: BuildStrategy('How a push is built', { default: 'layer' }),
        appDir: Type.Optional(
          AbsoluteDirectory('build.appDir', '/var/www/html', {
            description:
              'layer strategy: the directory of the image the pushed tree is unpacked into (e.g. /usr/share/nginx/html).',
          }),
        ),
      },
      {
        description:
          "How a push to a webspace of this Runtime is built; without it, by the dockerfile strategy (the repository's Dockerfile, else spec.dockerfile).",
        ...celRules({
          rule: "self.strategy != 'layer' || has(self.appDir)",
          message: 'build.appDir is required with the layer strategy: the directory the pushed tree goes to',
          fieldPath: '.appDir',
          reason: 'FieldValueRequired',
        }),
      },
    ),
  ),
  port: Type.Integer({
    minimum: 1,
    maximum: 65535,
    default: 8080,
    description: 'Port the application listens on.',
  }),
  healthPath: UrlPath('healthPath', {
    default: '/',
    description: 'HTTP path answering 200 when the app is healthy.',
  }),
  env: Type.Optional(EnvList),
})

export const RuntimeStatus = Type.Object({ ...commonStatus })

export type RuntimeSpec = Static<typeof RuntimeSpec>

/** How pushes to webspaces of `runtime` are built: its build, else the dockerfile strategy. */
export const buildOf = (runtime: RuntimeSpec): { strategy: BuildStrategy; appDir?: string } =>
  runtime.build ?? { strategy: 'dockerfile' }
export type RuntimeStatus = Static<typeof RuntimeStatus>

export const RuntimeKind: KindDefinition = {
  kind: 'Runtime',
  plural: 'runtimes',
  singular: 'runtime',
  shortNames: ['rt'],
  scope: 'Cluster',
  description: 'A stack template for webspaces: base image, Dockerfile template, port and health path.',
  spec: RuntimeSpec,
  status: RuntimeStatus,
  printerColumns: [
    { name: 'Image', type: 'string', jsonPath: '.spec.image' },
    { name: 'Port', type: 'integer', jsonPath: '.spec.port' },
    { name: 'Ready', type: 'string', jsonPath: conditionColumn('Ready') },
    { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
  ],
}
