// Rewrites the configuration reference, docs/configuration.md, from the zod schema (`npm run docs:config`).
// test/config/config-reference.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import { renderConfigReference } from '../src/config/config-reference.ts'
import { replaceReferenceBlock } from '../src/config/reference-block.ts'

const file = new URL('../docs/configuration.md', import.meta.url)
writeFileSync(file, replaceReferenceBlock(readFileSync(file, 'utf8'), renderConfigReference()))
