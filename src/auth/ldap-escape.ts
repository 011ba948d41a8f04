import { Filter } from 'ldapts'

/** Placeholders of the `ldap:` templates: the sign-in name and the user entry's DN. */
export type TemplateValues = Partial<Record<'username' | 'dn', string>>

const PLACEHOLDER = /\{(username|dn)\}/g

/**
 * A filter template with its placeholders replaced, each value escaped as an RFC 4515 assertion value
 * (`*`, `(`, `)`, `\` and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`), so no value can add a wildcard,
 * close the filter or add a clause.
 */
export function fillFilter (template: string, values: TemplateValues): string {
  return template.replace(PLACEHOLDER, (m, key: keyof TemplateValues) => {
    const value = values[key]
    return value === undefined ? m : Filter.escape(value)
  })
}

/**
 * A DN template with `{username}` replaced by the name escaped as an RFC 4514 attribute value, so a
 * name cannot add an RDN (`,`), a multi-valued RDN (`+`) or end the value early.
 */
export function fillDn (template: string, username: string): string {
  return template.replace(PLACEHOLDER, (m, key: string) => key === 'username' ? escapeDnValue(username) : m)
}

/**
 * RFC 4514 §2.4: `"` `+` `,` `;` `<` `>` `\` and `=` get a backslash, a leading `#` or space and a trailing
 * space too; NUL and other control characters become `\XX`.
 */
export function escapeDnValue (value: string): string {
  const chars = [...value]
  return chars.map((ch, i) => {
    const code = ch.codePointAt(0) ?? 0
    if (code < 0x20 || code === 0x7f) return `\\${code.toString(16).padStart(2, '0')}`
    const edge = (i === 0 && (ch === '#' || ch === ' ')) || (i === chars.length - 1 && ch === ' ')
    return '"+,;<>\\='.includes(ch) || edge ? `\\${ch}` : ch
  }).join('')
}
