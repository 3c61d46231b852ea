/** `npm run synth`: writes dist/install.yaml for the HOSTPLANE_* synth variables (docs/install.md). */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { INSTALL_PATH, synthInstall } from './chart.js'
import { optionsFromEnv, REPO_ROOT } from './options.js'

const target = join(REPO_ROOT, INSTALL_PATH)
await mkdir(dirname(target), { recursive: true })
await writeFile(target, synthInstall(optionsFromEnv(process.env)))
console.log(`wrote ${INSTALL_PATH}`)
