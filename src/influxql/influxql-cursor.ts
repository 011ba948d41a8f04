/**
 * A cursor over one query's tokens, with the few questions the statement parser asks of it.
 * @packageDocumentation
 */
import { InfluxQLSyntaxError, isReserved, type Token } from './influxql-lexer.ts'

/** Reads tokens in order; `word(…)` questions ignore case, as InfluxQL's keywords do. */
export class TokenCursor {
  private at = 0

  constructor (private readonly tokens: readonly Token[]) {}

  /** The token `ahead` places on (0: the next one); the `end` token past the last. */
  peek (ahead = 0): Token {
    return this.tokens[Math.min(this.at + ahead, this.tokens.length - 1)] as Token
  }

  /** Takes the next token. */
  next (): Token {
    const token = this.peek()
    if (token.type !== 'end') this.at++
    return token
  }

  /** Whether the token `ahead` places on is the keyword `word` (any case; followed as InfluxDB 3 needs a keyword to be). */
  isWord (word: string, ahead = 0): boolean {
    const token = this.peek(ahead)
    return token.type === 'word' && token.bounded && token.text.toUpperCase() === word
  }

  /** Whether the token `ahead` places on is the punctuation `mark`. */
  isPunct (mark: string, ahead = 0): boolean {
    const token = this.peek(ahead)
    return token.type === 'punct' && token.text === mark
  }

  /** Takes the keywords `words` in order if they come next; true if taken. */
  takeWords (...words: string[]): boolean {
    if (!words.every((word, i) => this.isWord(word, i))) return false
    this.at += words.length
    return true
  }

  /** Takes the punctuation `mark` if it comes next; true if taken. */
  takePunct (mark: string): boolean {
    if (!this.isPunct(mark)) return false
    this.at++
    return true
  }

  /** Takes the keywords `words`, or fails saying what was expected. */
  expectWords (...words: string[]): void {
    if (!this.takeWords(...words)) throw new InfluxQLSyntaxError(`expected ${words.join(' ')}`)
  }

  /** Takes an identifier (an unquoted word that is no keyword, or a double-quoted name) and returns its name. */
  identifier (what: string): string {
    const token = this.peek()
    if (token.type === 'quoted' || (token.type === 'word' && !isReserved(token))) {
      this.at++
      return token.text
    }
    throw new InfluxQLSyntaxError(`expected ${what}`)
  }

  /** Whether the next token ends a statement: `;` or the end of the query. */
  atStatementEnd (): boolean {
    return this.isPunct(';') || this.peek().type === 'end'
  }
}
