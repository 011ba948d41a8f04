import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['coverage/**', 'node_modules/**'] }),
  {
    // Tests write the config's literal `${VAR}` syntax in plain strings on purpose.
    files: ['test/**/*.ts'],
    rules: { 'no-template-curly-in-string': 'off' }
  }
]
