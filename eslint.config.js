import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['coverage/**', 'node_modules/**'] }),
  {
    // Tests and benchmarks write the config's literal `${VAR}` syntax in plain strings on purpose.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { 'no-template-curly-in-string': 'off' }
  }
]
