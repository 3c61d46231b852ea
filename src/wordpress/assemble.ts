/**
 * How the pinned packages (source.ts) become one WordPress tree that stands alone: the wordpress
 * Runtime's build runs this script in a Debian stage, and the tests run the same text on the
 * host, so both get the same files. Run as `sh -s <directory of the .debs> <output directory>`.
 */
export const ASSEMBLE_SCRIPT = `set -eu
debs=$1
out=$2
root=$(mktemp -d)
for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$root"; done
wp=$root/usr/share/wordpress
# Debian's configuration (it reads /etc/wordpress), its Apache file and the files that only tell
# a visitor the version: hostplane writes wp-config.php, which reads the environment.
rm -f "$wp/.htaccess" "$wp/wp-config.php" "$wp/wp-config-sample.php" "$wp/readme.html"
# Debian links WordPress's CA bundle to the system's, at the same path in the runtime image.
rm "$wp/wp-includes/certificates/ca-bundle.crt"
mkdir -p "$out"
# -L: the split-out libraries are relative links into the other packages; they become files here.
# A link this script does not know of dangles, and cp fails rather than ship a broken tree.
cp -RL "$wp/." "$out/"
ln -s /etc/ssl/certs/ca-certificates.crt "$out/wp-includes/certificates/ca-bundle.crt"
mkdir -p "$out/wp-content/uploads"
rm -rf "$root"
`
