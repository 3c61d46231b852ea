/**
 * A temporary world for syncer tests: a real git host (git http-backend over HTTPS on loopback),
 * repositories built for each test, a sites root and the engine configured to reach loopback.
 */
import { mkdtemp, readFile, readlink, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { createSiteSyncer, type SiteSyncerConfig } from '../../src/syncer/create-site-syncer.js'
import type { PublishStore } from '../../src/syncer/publish-store.js'
import type { SiteSyncer } from '../../src/syncer/site-syncer.js'
import { GitHttpServer } from '../git/git-server.js'
import { TestRepos } from '../git/test-repos.js'

export const LOOPBACK = ['127.0.0.1/32']

export class GitFixture {
  private constructor(
    readonly dir: string,
    readonly server: GitHttpServer,
    readonly repos: TestRepos,
  ) {}

  /** `address`: where the git host listens (loopback by default). */
  static async start(address?: string): Promise<GitFixture> {
    const dir = await mkdtemp(join(tmpdir(), 'hostplane-syncer-'))
    const server = await GitHttpServer.start(join(dir, 'repos'), address)
    return new GitFixture(dir, server, new TestRepos(join(dir, 'repos')))
  }

  /** Engine options reaching this fixture's git host; override any of them. */
  config(name: string, overrides: Partial<SiteSyncerConfig> = {}): SiteSyncerConfig {
    return {
      sitesRoot: join(this.dir, name, 'sites'),
      workDir: join(this.dir, name, 'work'),
      allowedHosts: ['127.0.0.1'],
      allowedPrivateNetworks: LOOPBACK,
      caFile: this.server.caFile,
      log: pino({ level: 'silent' }),
      ...overrides,
    }
  }

  async engine(
    name: string,
    overrides: Partial<SiteSyncerConfig> = {},
  ): Promise<{ syncer: SiteSyncer; store: PublishStore; root: string }> {
    const config = this.config(name, overrides)
    return { ...(await createSiteSyncer(config)), root: config.sitesRoot }
  }

  url(repo: string): string {
    return this.server.url(repo)
  }

  async stop(): Promise<void> {
    await this.server.stop()
    await rm(this.dir, { recursive: true, force: true })
  }
}

/** A published file as visitors get it, through the site's symlink. */
export const served = (root: string, key: string, file: string) => readFile(join(root, key, file), 'utf8')
export const servedTree = (root: string, key: string) => readlink(join(root, key))
