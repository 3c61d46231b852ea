import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { describe, it } from 'node:test'
import { deliveryScheme, parsePush, type SignatureScheme, sitesForPush, verifySignature } from './webhook.js'

const body = Buffer.from('{"ref":"refs/heads/main"}')
const hmac = (secret: string) => createHmac('sha256', secret).update(body).digest('hex')

describe('verifySignature', () => {
  const cases: [string, SignatureScheme, Record<string, string>, boolean][] = [
    [
      'accepts a GitHub delivery signed with the secret',
      'github',
      { 'x-hub-signature-256': `sha256=${hmac('s3')}` },
      true,
    ],
    [
      'refuses a GitHub delivery signed with another secret',
      'github',
      { 'x-hub-signature-256': `sha256=${hmac('other')}` },
      false,
    ],
    [
      'refuses a GitHub delivery with only the old SHA-1 signature',
      'github',
      { 'x-hub-signature': 'sha1=00' },
      false,
    ],
    ['accepts a Gitea delivery signed with the secret', 'gitea', { 'x-gitea-signature': hmac('s3') }, true],
    ['accepts a Forgejo delivery by its own header', 'forgejo', { 'x-forgejo-signature': hmac('s3') }, true],
    ['refuses a Gitea delivery without a signature', 'gitea', {}, false],
    ['accepts a GitLab delivery carrying the token', 'gitlab', { 'x-gitlab-token': 's3' }, true],
    ['refuses a GitLab delivery with a prefix of the token', 'gitlab', { 'x-gitlab-token': 's' }, false],
    [
      'accepts a generic delivery with the secret as bearer token',
      'generic',
      { authorization: 'Bearer s3' },
      true,
    ],
    ['refuses a generic delivery with the secret but no Bearer', 'generic', { authorization: 's3' }, false],
    ['refuses a generic delivery with another token', 'generic', { authorization: 'Bearer s' }, false],
  ]
  for (const [name, forge, headers, expected] of cases)
    it(name, () => assert.equal(verifySignature(forge, headers, body, 's3'), expected))
})

describe('deliveryScheme', () => {
  const cases: [string, Record<string, string>, SignatureScheme | undefined][] = [
    ['GitHub by its SHA-256 signature', { 'x-hub-signature-256': 'sha256=00' }, 'github'],
    ['Gitea by its signature', { 'x-gitea-signature': '00' }, 'gitea'],
    ['Forgejo by its signature, checked as Gitea', { 'x-forgejo-signature': '00' }, 'gitea'],
    ['GitLab by its token', { 'x-gitlab-token': 't' }, 'gitlab'],
    ['anything else by its Authorization header', { authorization: 'Bearer t' }, 'generic'],
    ['nothing without a proof', { 'x-github-event': 'push' }, undefined],
  ]
  for (const [name, headers, expected] of cases)
    it(`tells ${name}`, () => assert.equal(deliveryScheme(headers), expected))
})

describe('parsePush', () => {
  it('reads the ref and every repository URL GitHub sends, normalised', () => {
    const push = parsePush(
      'github',
      { 'x-github-event': 'push' },
      {
        ref: 'refs/heads/main',
        repository: {
          clone_url: 'https://github.com/Team/Site.git',
          ssh_url: 'git@github.com:Team/Site.git',
          html_url: 'https://github.com/Team/Site',
        },
      },
    )
    assert.deepEqual(push, { repos: ['github.com/team/site'], ref: 'refs/heads/main' })
  })

  it('reads GitLab pushes from project.git_http_url', () => {
    const push = parsePush(
      'gitlab',
      { 'x-gitlab-event': 'Push Hook' },
      { ref: 'refs/heads/main', project: { git_http_url: 'https://gitlab.example/a/b.git' } },
    )
    assert.deepEqual(push?.repos, ['gitlab.example/a/b'])
  })

  it('ignores events that are not pushes, such as GitHub pings', () => {
    assert.equal(parsePush('github', { 'x-github-event': 'ping' }, { zen: 'hi' }), undefined)
  })

  it('ignores a push without a branch or tag ref', () => {
    assert.equal(
      parsePush(
        'gitea',
        { 'x-gitea-event': 'push' },
        { ref: 'HEAD', repository: { clone_url: 'https://g/a/b' } },
      ),
      undefined,
    )
  })
})

describe('sitesForPush', () => {
  const sites = [
    { key: 'a--main', repo: 'https://git.example/team/site.git', ref: 'main' },
    { key: 'a--ssh', repo: 'git@git.example:team/site.git', ref: 'main' },
    { key: 'a--other-branch', repo: 'https://git.example/team/site', ref: 'staging' },
    { key: 'a--tag', repo: 'https://git.example/team/site', ref: 'v1' },
    { key: 'a--other-repo', repo: 'https://git.example/team/other.git', ref: 'main' },
  ]
  it('matches every site of the pushed repository and branch, whatever URL form it uses', () => {
    const keys = sitesForPush({ repos: ['git.example/team/site'], ref: 'refs/heads/main' }, sites).map(
      (s) => s.key,
    )
    assert.deepEqual(keys, ['a--main', 'a--ssh'])
  })
  it('matches a tag push to sites pinned to that tag', () => {
    const keys = sitesForPush({ repos: ['git.example/team/site'], ref: 'refs/tags/v1' }, sites).map(
      (s) => s.key,
    )
    assert.deepEqual(keys, ['a--tag'])
  })
  it('matches nothing for another repository', () => {
    assert.deepEqual(sitesForPush({ repos: ['git.example/team/nope'], ref: 'refs/heads/main' }, sites), [])
  })
})
