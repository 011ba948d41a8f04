/**
 * The test directory {@link startSlapd} loads: people in nested OUs, `groupOfNames` groups, a service
 * account. Passwords are made per start by the harness.
 * @packageDocumentation
 */

/** The base of the test directory. */
export const SUFFIX = 'dc=example,dc=org'

/** One person in the test directory. */
export interface DirectoryPerson {
  uid: string
  dn: string
  /** `cn`s of the groups (under ou=groups) the person is a `member` of. */
  groups: string[]
  /** `employeeType`, for filters that exclude disabled accounts. */
  employeeType?: string
}

const person = (uid: string, ou: string, groups: string[], employeeType?: string): DirectoryPerson =>
  ({ uid, dn: `uid=${uid},${ou}${SUFFIX}`, groups, ...(employeeType === undefined ? {} : { employeeType }) })

/**
 * alice writes; bob (two OUs deeper) reads; dave is in both; carol is in no InfluxDB group; admin is in
 * influx-admins; erin is marked disabled; mallory sits in ou=disabled below ou=people (a moved-away account
 * that still has a password).
 */
export const DIRECTORY: readonly DirectoryPerson[] = [
  person('alice', 'ou=people,', ['influx-writers']),
  person('bob', 'ou=engineering,ou=staff,ou=people,', ['influx-readers']),
  person('carol', 'ou=people,', ['unrelated']),
  person('dave', 'ou=staff,ou=people,', ['influx-readers', 'influx-writers']),
  person('admin', 'ou=people,', ['influx-admins']),
  person('erin', 'ou=people,', ['influx-writers'], 'disabled'),
  person('mallory', 'ou=disabled,ou=people,', ['influx-admins'])
]

const OUS = ['ou=people', 'ou=staff,ou=people', 'ou=engineering,ou=staff,ou=people', 'ou=disabled,ou=people', 'ou=groups', 'ou=services']

/** The LDIF: base, OUs, service account, people (with their passwords), groups. */
export function directoryLdif (service: { dn: string, password: string }, people: ReadonlyArray<DirectoryPerson & { password: string }>): string {
  const entries: string[][] = [
    [`dn: ${SUFFIX}`, 'objectClass: dcObject', 'objectClass: organization', 'dc: example', 'o: Example'],
    ...OUS.map((ou) => [`dn: ${ou},${SUFFIX}`, 'objectClass: organizationalUnit', `ou: ${/^ou=([^,]+)/.exec(ou)?.[1] ?? ''}`]),
    [`dn: ${service.dn}`, 'objectClass: organizationalRole', 'objectClass: simpleSecurityObject', 'cn: gateway', `userPassword: ${service.password}`],
    ...people.map((p) => [
      `dn: ${p.dn}`, 'objectClass: inetOrgPerson', `uid: ${p.uid}`, `cn: ${p.uid}`, `sn: ${p.uid}`, `userPassword: ${p.password}`,
      ...(p.employeeType === undefined ? [] : [`employeeType: ${p.employeeType}`])
    ])
  ]
  const groups = [...new Set(people.flatMap((p) => p.groups))]
  for (const cn of groups) {
    entries.push([`dn: cn=${cn},ou=groups,${SUFFIX}`, 'objectClass: groupOfNames', `cn: ${cn}`,
      ...people.filter((p) => p.groups.includes(cn)).map((p) => `member: ${p.dn}`),
      // groupOfNames needs a member: a placeholder keeps a group valid when a test removes its last person.
      `member: cn=placeholder,${SUFFIX}`])
  }
  return `${entries.map((e) => e.join('\n')).join('\n\n')}\n`
}
