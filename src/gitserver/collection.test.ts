import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { orphanedUids, TRASH } from './collection.js'

const LIVE = '9f1e9bb4-34f2-49e9-8bb7-0f4ca5160b3e'
const GONE = '0a6c1d1e-5b8f-4c7a-9d2e-3f4a5b6c7d8e'
const ALSO_GONE = '1b7d2e2f-6c9a-4d8b-ae3f-4a5b6c7d8e9f'

describe('orphanedUids', () => {
  const cases: [string, string[], string[], string[]][] = [
    ['keeps the repository of a live Webspace', [`${LIVE}.git`], [LIVE], []],
    ['takes the repository of a Webspace that is gone', [`${LIVE}.git`, `${GONE}.git`], [LIVE], [GONE]],
    ['takes an unfinished creation of a gone Webspace', [`.new-${GONE}`], [LIVE], [GONE]],
    ['keeps an unfinished creation of a live Webspace (it is being built now)', [`.new-${LIVE}`], [LIVE], []],
    [
      'names a UID once when both its repository and its unfinished copy are there',
      [`${GONE}.git`, `.new-${GONE}`],
      [],
      [GONE],
    ],
    [
      'never takes names the gitserver does not make',
      [TRASH, 'lost+found', 'notes.txt', `${GONE}`, `${GONE}.git.bak`, 'x.git', `../${GONE}.git`, `.new-x`],
      [],
      [],
    ],
    [
      'takes every repository when no Webspace exists (the list said so, not an empty cache)',
      [`${GONE}.git`, `${ALSO_GONE}.git`],
      [],
      [GONE, ALSO_GONE].sort(),
    ],
  ]
  for (const [name, names, live, expected] of cases)
    it(name, () => assert.deepEqual(orphanedUids(names, new Set(live)), expected))
})
