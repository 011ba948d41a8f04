import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['coverage/**', 'node_modules/**'] })
]
