/**
 * Certificates for the test control plane, made with the openssl CLI: a CA, the API server's
 * serving certificate, client certificates for the admin and the controller-manager, and the
 * service-account signing key. EC P-256 keeps generation fast.
 */
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { runOrThrow } from './process.js'

export interface Pki {
  readonly caCert: string
  readonly serverCert: string
  readonly serverKey: string
  readonly adminCert: string
  readonly adminKey: string
  readonly controllerManagerCert: string
  readonly controllerManagerKey: string
  readonly serviceAccountKey: string
  readonly serviceAccountPub: string
}

const CLIENT_EXTENSIONS =
  'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n'

const openssl = (dir: string, args: string[]) => runOrThrow('openssl', args, { cwd: dir, timeoutMs: 30_000 })

async function issue(dir: string, name: string, subject: string, extensions: string) {
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`])
  await openssl(dir, ['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`])
  await writeFile(join(dir, `${name}.ext`), extensions)
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    // A random serial per certificate: -CAcreateserial shares ca.srl between the certificates
    // issued in parallel below, and openssl then fails reading a half-written ca.srl.
    '-set_serial',
    `0x${randomBytes(16).toString('hex')}`,
    '-days',
    '30',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ])
}

/** `addresses`: more IP addresses the server certificate is for (a test server on a pod address). */
export async function createPki(dir: string, addresses: readonly string[] = []): Promise<Pki> {
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'])
  await openssl(dir, [
    'req',
    '-x509',
    '-new',
    '-key',
    'ca.key',
    '-subj',
    '/CN=hostplane-test-ca',
    '-days',
    '30',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    'ca.crt',
  ])
  await Promise.all([
    issue(
      dir,
      'apiserver',
      '/CN=kube-apiserver',
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' +
        `subjectAltName=IP:127.0.0.1,IP:10.96.0.1,${addresses
          .filter((a) => a !== '127.0.0.1')
          .map((a) => `IP:${a},`)
          .join('')}DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n`,
    ),
    issue(dir, 'admin', '/O=system:masters/CN=hostplane-admin', CLIENT_EXTENSIONS),
    issue(dir, 'controller-manager', '/CN=system:kube-controller-manager', CLIENT_EXTENSIONS),
  ])
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'sa.key'])
  await openssl(dir, ['ec', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'])
  return pkiIn(dir)
}

/** Paths of the files `createPki` wrote into `dir`. */
export function pkiIn(dir: string): Pki {
  const at = (file: string) => join(dir, file)
  return {
    caCert: at('ca.crt'),
    serverCert: at('apiserver.crt'),
    serverKey: at('apiserver.key'),
    adminCert: at('admin.crt'),
    adminKey: at('admin.key'),
    controllerManagerCert: at('controller-manager.crt'),
    controllerManagerKey: at('controller-manager.key'),
    serviceAccountKey: at('sa.key'),
    serviceAccountPub: at('sa.pub'),
  }
}

/**
 * A client certificate for a person: the API server takes the CN as user name and each O as a
 * group, which is how tests act as a tenant of a customer group.
 */
export async function issueUserCert(dir: string, user: string, groups: readonly string[]) {
  const safe = (value: string) => value.replaceAll(/[^A-Za-z0-9:._@-]/g, '_')
  const name = `user-${safe(user)}`
  const subject = `${groups.map((g) => `/O=${safe(g)}`).join('')}/CN=${safe(user)}`
  await issue(dir, name, subject, CLIENT_EXTENSIONS)
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) }
}
