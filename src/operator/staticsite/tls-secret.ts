/**
 * `tls.mode: secret`: the TLS Secret a site names in its own namespace, checked before it is
 * served. Rules run in order and the first problem wins: the Secret exists (and the operator may
 * read it), has type kubernetes.io/tls, tls.crt and tls.key parse, the key belongs to the
 * certificate, the certificate is valid now and covers every domain of the site. Pure: the
 * reconciler reads the Secret (tls-secret-reader.ts) and passes what it found.
 *
 * No key material leaves this module: messages name the Secret, the domains and the dates, never
 * the data, and parse errors are replaced by fixed sentences.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { REASON } from './conditions.js'

export const TLS_SECRET_TYPE = 'kubernetes.io/tls'

export interface SecretObject {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: { readonly name: string; readonly namespace?: string }
  readonly type?: string
  /** Base64, as the API server returns it. */
  readonly data?: Readonly<Record<string, string>>
}

/** What reading the named Secret found. */
export type TlsSecretRead =
  | { readonly kind: 'found'; readonly secret: SecretObject }
  | { readonly kind: 'missing' }
  /** The operator may not read Secrets in the namespace (the tenant binding is missing). */
  | { readonly kind: 'forbidden' }

export interface TlsSecretVerdict {
  readonly status: 'True' | 'False'
  readonly reason:
    | typeof REASON.TlsSecretValid
    | typeof REASON.TlsSecretMissing
    | typeof REASON.TlsSecretInvalid
    | typeof REASON.TlsSecretExpired
    | typeof REASON.TlsSecretDomainMismatch
  readonly message: string
  /** The certificate's notAfter, once it parsed. */
  readonly notAfter?: Date
}

export interface TlsSecretInputs {
  readonly namespace: string
  readonly name: string
  readonly read: TlsSecretRead
  /** The site's domains: the certificate must cover each. */
  readonly domains: readonly string[]
  readonly now: Date
}

const decoded = (secret: SecretObject, key: string) => {
  const value = secret.data?.[key]
  return value ? Buffer.from(value, 'base64') : undefined
}

const parsed = <T>(parse: () => T): T | undefined => {
  try {
    return parse()
  } catch {
    return undefined
  }
}

export function tlsSecretVerdict({ namespace, name, read, domains, now }: TlsSecretInputs): TlsSecretVerdict {
  const ref = `Secret ${name} in namespace ${namespace}`
  const problem = (reason: TlsSecretVerdict['reason'], message: string, notAfter?: Date) => ({
    status: 'False' as const,
    reason,
    message: message.slice(0, 1024),
    ...(notAfter ? { notAfter } : {}),
  })
  if (read.kind === 'forbidden')
    return problem(
      REASON.TlsSecretMissing,
      `the operator may not read ${ref}: a platform admin binds the ClusterRole hostplane-operator-tls-secrets to it in this namespace (docs/tenancy.md)`,
    )
  if (read.kind === 'missing')
    return problem(
      REASON.TlsSecretMissing,
      `${ref} does not exist: tls.secretName names a Secret of type ${TLS_SECRET_TYPE} in the site's own namespace`,
    )
  const { secret } = read
  if (secret.type !== TLS_SECRET_TYPE)
    return problem(
      REASON.TlsSecretInvalid,
      `${ref} has type ${secret.type ?? 'Opaque'}: tls.mode secret needs type ${TLS_SECRET_TYPE} with tls.crt and tls.key`,
    )
  const crt = decoded(secret, 'tls.crt')
  const certificate = crt && parsed(() => new X509Certificate(crt))
  if (!certificate) return problem(REASON.TlsSecretInvalid, `tls.crt of ${ref} is not a PEM certificate`)
  const notAfter = new Date(certificate.validTo)
  const keyData = decoded(secret, 'tls.key')
  const key = keyData && parsed(() => createPrivateKey(keyData))
  if (!key) return problem(REASON.TlsSecretInvalid, `tls.key of ${ref} is not a PEM private key`, notAfter)
  if (!parsed(() => certificate.checkPrivateKey(key)))
    return problem(
      REASON.TlsSecretInvalid,
      `tls.key of ${ref} is not the private key of the certificate in tls.crt`,
      notAfter,
    )
  if (notAfter.getTime() <= now.getTime())
    return problem(
      REASON.TlsSecretExpired,
      `the certificate in ${ref} expired at ${notAfter.toISOString()}: put a renewed one into the Secret`,
      notAfter,
    )
  const notBefore = new Date(certificate.validFrom)
  if (notBefore.getTime() > now.getTime())
    return problem(
      REASON.TlsSecretInvalid,
      `the certificate in ${ref} is not valid before ${notBefore.toISOString()}`,
      notAfter,
    )
  const uncovered = domains.filter((domain) => certificate.checkHost(domain) === undefined)
  if (uncovered.length > 0)
    return problem(
      REASON.TlsSecretDomainMismatch,
      `the certificate in ${ref} does not cover ${uncovered.join(', ')} (it names ${certificate.subjectAltName ?? certificate.subject.replace(/\n/g, ', ')})`,
      notAfter,
    )
  return {
    status: 'True',
    reason: REASON.TlsSecretValid,
    message:
      `the certificate in ${ref} covers ${domains.join(', ')} and expires at ${notAfter.toISOString()}`.slice(
        0,
        1024,
      ),
    notAfter,
  }
}
