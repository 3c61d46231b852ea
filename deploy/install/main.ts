/** `npm run synth`: writes every profile's files to dist/<profile>/ (profile-files.ts). */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { PACKAGE_ROOT } from './options.js'
import { PROFILE_NAMES, profileDir, profileFiles } from './profile-files.js'

for (const profile of PROFILE_NAMES) {
  const dir = join(PACKAGE_ROOT, profileDir(profile))
  await mkdir(dir, { recursive: true })
  for (const [file, content] of profileFiles(profile)) {
    await mkdir(dirname(join(dir, file)), { recursive: true })
    await writeFile(join(dir, file), content)
    console.log(`wrote ${profileDir(profile)}/${file}`)
  }
}
