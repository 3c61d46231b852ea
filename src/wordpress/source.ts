/**
 * The WordPress hostplane runs, pinned by checksum: Debian's security-maintained packages of
 * WordPress (trixie), its default theme, and the libraries Debian splits out of it (lodash,
 * underscore, cropper, getID3). The wordpress Runtime's build fetches each with
 * `ADD --checksum=sha256:…` and the tests fetch the same files and check the same sums, so what
 * the tests run is what a build installs. Debian's archive drops a version once it is superseded;
 * snapshot.debian.org keeps every one under the same pool path.
 */
import { basename } from 'node:path'

export const WORDPRESS_VERSION = '6.8.7'

export const DEBIAN_ARCHIVE = 'https://deb.debian.org/debian'

export interface PinnedPackage {
  /** The path under the archive's root, as Debian's Packages index names it. */
  readonly path: string
  readonly sha256: string
}

export const WORDPRESS_PACKAGES: readonly PinnedPackage[] = [
  {
    path: 'pool/main/w/wordpress/wordpress_6.8.7+dfsg1-0+deb13u1_all.deb',
    sha256: 'b6716bf40142516c0120cebb63c4cb323354277dbf90aa0e9a5d9bae3fca2d38',
  },
  {
    path: 'pool/main/w/wordpress/wordpress-theme-twentytwentyfive_6.8.7+dfsg1-0+deb13u1_all.deb',
    sha256: '7af11e32a8499e27ac38c35b0d2b5319e499eebe63cf80b4f7610fb375dfb708',
  },
  {
    path: 'pool/main/n/node-lodash/libjs-lodash_4.17.21+dfsg+~cs8.31.198.20210220-9+deb13u1_all.deb',
    sha256: '3ab11001abf36a57765180205aa6ff69bfb11ee6229fb89e3b60ae3e97bfbbee',
  },
  {
    path: 'pool/main/u/underscore/libjs-underscore_1.13.4~dfsg+~1.11.4-3_all.deb',
    sha256: '4a0fbc90e7f62ea50c4ac7453352721fa60bb5eac87e9f39a027908faff29015',
  },
  {
    path: 'pool/main/j/jscropperui/libjs-cropper_1.2.2-2_all.deb',
    sha256: '933ad4a9b49c4ef9fff4d6cb25400c7a5d3c83b8447f6374c00371c3fa851d63',
  },
  {
    path: 'pool/main/p/php-getid3/php-getid3_1.9.23+dfsg-1_all.deb',
    sha256: '513a710dfbc50f595be48e5bc68e9ae5c4850f08a792aafc0991f126b9d2635e',
  },
]

export const packageUrl = (pinned: PinnedPackage): string => `${DEBIAN_ARCHIVE}/${pinned.path}`

export const packageFile = (pinned: PinnedPackage): string => basename(pinned.path)
