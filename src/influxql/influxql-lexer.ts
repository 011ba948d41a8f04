/**
 * The InfluxQL tokenizer, with InfluxDB 3's lexical rules (`influxdb_influxql_parser` `string.rs`,
 * `identifier.rs`, `common.rs`): double-quoted identifiers and single-quoted strings with the escapes
 * `\\`, `\"` or `\'`, and `\n` only, and no raw line break; regular expressions `/…/` where `\/` is the only
 * escape and a line break ends nothing but the query; `--` comments to the end of the line and `/* *\/`
 * comments that must close. Anything it does not know is an error, never a guess.
 * @packageDocumentation
 */
import { isKeyword } from './influxql-keywords.ts'

/** What a token is. `word`: an unquoted identifier or keyword; `quoted`: a double-quoted identifier. */
export type TokenType = 'word' | 'quoted' | 'string' | 'regex' | 'number' | 'param' | 'punct' | 'end'

/** One token of a query. */
export interface Token {
  type: TokenType
  /** A word as written, an identifier or string unescaped, a regex's body, a punctuation mark. */
  text: string
  /** Offset in the query. */
  pos: number
  /** Whether whitespace or a comment comes right before it. */
  spaced: boolean
  /**
   * Whether a keyword could end here: the query ends or goes on with one of InfluxDB 3's keyword follow
   * characters. `FROM"cpu"` or `LIMIT\r` are no keywords to InfluxDB 3 (`keywords.rs` `keyword_follow_char`).
   */
  bounded: boolean
}

/** The characters after which InfluxDB 3 accepts a keyword as one. */
const KEYWORD_FOLLOW = new Set([' ', '\n', '\t', ';', '(', ')', ',', '=', '!', '>', '<', '+', '-', '/', '*', '|', '&', '^', '%'])

/** Whether `token` is one of InfluxDB 3's reserved words, read as a keyword there (so never as an identifier). */
export function isReserved (token: Token): boolean {
  return token.type === 'word' && token.bounded && isKeyword(token.text)
}

/** A query the tokenizer cannot read; `message` says why, for the refusal's reason. */
export class InfluxQLSyntaxError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'InfluxQLSyntaxError'
  }
}

/** Punctuation, the two-character marks first. */
const PUNCT = ['=~', '!~', '!=', '<>', '<=', '>=', '::', '=', '<', '>', '+', '-', '*', '/', '%', '&', '|', '^', '(', ')', ',',
  '.', ';', ':']
const SPACE = new Set([' ', '\t', '\r', '\n'])
const WORD_START = /[A-Za-z_]/
const WORD_PART = /[A-Za-z0-9_]/
const DIGIT = /[0-9]/
/** Duration units in the order InfluxDB 3 tries them (`literal.rs` `single_duration`). */
const UNITS = ['ns', 'µ', 'u', 'ms', 's', 'm', 'h', 'd', 'w']

/** Skips whitespace and comments from `at`; returns where the next token starts. */
function skipSpace (query: string, at: number): number {
  let i = at
  for (;;) {
    if (SPACE.has(query[i] ?? '')) i++
    else if (query.startsWith('--', i)) {
      while (i < query.length && query[i] !== '\n' && query[i] !== '\r') i++
    } else if (query.startsWith('/*', i)) {
      const close = query.indexOf('*/', i + 2)
      if (close < 0) throw new InfluxQLSyntaxError('a comment that does not close')
      i = close + 2
    } else return i
  }
}

/** A quoted identifier or string from its opening `quote` at `at`: its unescaped text and where it ends. */
function readQuoted (query: string, at: number, quote: string): { text: string, end: number } {
  let text = ''
  for (let i = at + 1; i < query.length; i++) {
    const c = query[i] as string
    if (c === quote) return { text, end: i + 1 }
    if (c === '\n') break
    if (c !== '\\') { text += c; continue }
    const next = query[++i]
    if (next === '\\' || next === quote) text += next
    else if (next === 'n') text += '\n'
    else throw new InfluxQLSyntaxError(`an escape InfluxDB 3 refuses in ${quote === '"' ? 'an identifier' : 'a string'}`)
  }
  throw new InfluxQLSyntaxError(quote === '"' ? 'an identifier that does not close' : 'a string that does not close')
}

/** A regular expression from its opening `/` at `at`: its body (with `\/` kept as written) and where it ends. */
function readRegex (query: string, at: number): { text: string, end: number } {
  for (let i = at + 1; i < query.length; i++) {
    const c = query[i]
    if (c === '\n') break
    if (c === '/') return { text: query.slice(at + 1, i), end: i + 1 }
    if (c === '\\' && query[i + 1] === '/') {
      // SECURITY: InfluxDB 3 reads `\\/` as `\` then an escaped `/` (the regex goes on), InfluxDB 1.x as an
      // escaped `\` then the end: a query read one way by the gateway and the other by InfluxDB could hide a
      // statement inside what one of them takes for a regex. Neither reading is trusted.
      if (query[i - 1] === '\\') throw new InfluxQLSyntaxError('a regular expression with `\\\\/`, read differently by InfluxDB 1.x and 3')
      i++
    }
  }
  throw new InfluxQLSyntaxError('a regular expression that does not close')
}

/**
 * Whether an operand ends with `token`, so that a `/` after it divides; anywhere else (after an operator, a
 * keyword, `(`, `,`, `.`, or at the start) InfluxQL's grammar reads `/` only as the start of a regular
 * expression. `*` ends an operand where it is a wildcard (where an operand was awaited), and a keyword ends one
 * after `::` (`*::tag`, `value::field`).
 */
function endsOperand (token: Token, previous: Token | undefined, afterOperand: boolean): boolean {
  if (token.type === 'word') return !isReserved(token) || (previous?.type === 'punct' && previous.text === '::')
  if (token.type === 'punct') return token.text === ')' || (token.text === '*' && !afterOperand)
  return true
}

/** The token at `at` (after whitespace); `regex`: whether a `/` starts a regular expression there. */
function readToken (query: string, start: number, regex: boolean): Token & { end: number } {
  const at = skipSpace(query, start)
  const spaced = at > start
  const c = query[at]
  const token = (type: TokenType, text: string, end: number): Token & { end: number } => {
    const bounded = end >= query.length || KEYWORD_FOLLOW.has(query[end] as string)
    return { type, text, pos: at, spaced, bounded, end }
  }
  if (c === undefined) return token('end', '', at)
  if (c === '"' || c === "'") {
    const { text, end } = readQuoted(query, at, c)
    return token(c === '"' ? 'quoted' : 'string', text, end)
  }
  if (c === '/' && regex) {
    const { text, end } = readRegex(query, at)
    return token('regex', text, end)
  }
  if (WORD_START.test(c)) return token('word', query.slice(at, scan(query, at, WORD_PART)), scan(query, at, WORD_PART))
  if (DIGIT.test(c)) {
    const end = numberEnd(query, at)
    return token('number', query.slice(at, end), end)
  }
  if (c === '$' && WORD_START.test(query[at + 1] ?? '')) {
    return token('param', query.slice(at, scan(query, at + 1, WORD_PART)), scan(query, at + 1, WORD_PART))
  }
  const mark = PUNCT.find((p) => query.startsWith(p, at))
  if (mark === undefined) throw new InfluxQLSyntaxError(`a character InfluxQL does not use, at offset ${at}`)
  return token('punct', mark, at + mark.length)
}

/**
 * Where a number starting at `at` ends, as InfluxDB 3 reads one: a float (`1.5`), else an integer followed by
 * duration fragments (`1h30m`). Letters after it start a word of their own (`1AND` is `1` and `AND` there).
 */
function numberEnd (query: string, at: number): number {
  const digits = scan(query, at, DIGIT)
  if (query[digits] === '.' && DIGIT.test(query[digits + 1] ?? '')) return scan(query, digits + 1, DIGIT)
  let end = digits
  for (let from = at; ;) {
    const fragmentDigits = scan(query, from, DIGIT)
    if (fragmentDigits === from) return end
    const unit = UNITS.find((u) => query.startsWith(u, fragmentDigits))
    if (unit === undefined) return from === at ? fragmentDigits : end
    end = fragmentDigits + unit.length
    from = end
  }
}

/** The first offset from `at` whose character does not match `part`. */
function scan (query: string, at: number, part: RegExp): number {
  let i = at
  while (i < query.length && part.test(query[i] as string)) i++
  return i
}

/**
 * Splits a whole query into tokens, ending with one `end` token.
 *
 * @throws InfluxQLSyntaxError when the query holds something InfluxDB 3 could not read either, or could read
 *   in more than one way
 */
export function lexInfluxQL (query: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  let afterOperand = false
  for (;;) {
    const { end, ...token } = readToken(query, at, !afterOperand)
    afterOperand = endsOperand(token, tokens[tokens.length - 1], afterOperand)
    at = end
    tokens.push(token)
    if (token.type === 'end') return tokens
  }
}
