/**
 * The built-in `wordpress` Runtime (deploy/runtimes/wordpress.yaml is generated from it): PHP 8.3
 * with nginx and PHP-FPM (the image of the php-8.3 Runtime) and WordPress from the packages
 * pinned in source.ts. A push of a WordPress webspace carries its `wp-content` (themes, plugins,
 * mu-plugins, languages); the build puts it over the pinned core, so a core update, like a new
 * plugin, is a new Release and nothing is ever written into a running container.
 */
import { API_VERSION } from '../api/kind.js'
import type { Runtime } from '../api/resources.js'
import { ASSEMBLE_SCRIPT } from './assemble.js'
import { packageFile, packageUrl, WORDPRESS_PACKAGES, WORDPRESS_VERSION } from './source.js'
import { WP_CONFIG } from './wp-config.js'

export const WORDPRESS_RUNTIME = 'wordpress'

const PHP_IMAGE = 'docker.io/trafex/php-nginx:3.6.0'
const DEBIAN_IMAGE = 'docker.io/library/debian:trixie-slim'
const DOCUMENT_ROOT = '/var/www/html'

/** Where the Webspace's volume goes: uploads are the only files WordPress writes. */
export const UPLOADS_DIR = `${DOCUMENT_ROOT}/wp-content/uploads`

/** A file nginx serves without PHP or the database: the probes ask whether the pod serves. */
export const HEALTH_PATH = '/wp-includes/images/blank.gif'

const NGINX_SERVER = `server {
    listen 8080 default_server;
    listen [::]:8080 default_server;
    server_name _;
    root ${DOCUMENT_ROOT};
    index index.php;
    absolute_redirect off;
    client_max_body_size 64m;

    location / {
        try_files $uri $uri/ /index.php$is_args$args;
    }
    # Uploads are data: nothing under them runs as PHP.
    location ~* ^/wp-content/uploads/.*\\.(php[0-9]?|phtml|phar)$ {
        deny all;
    }
    location ~ \\.php$ {
        try_files $uri =404;
        fastcgi_split_path_info ^(.+\\.php)(/.+)$;
        fastcgi_pass unix:/tmp/php-fpm.sock;
        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
        fastcgi_index index.php;
        include fastcgi_params;
    }
    location ~ /\\. {
        deny all;
    }
}
`

const PHP_SETTINGS = `upload_max_filesize = 64M
post_max_size = 64M
expose_php = Off
`

/**
 * The build: a Debian stage checks and unpacks the pinned packages, the PHP image gets the tree,
 * wp-config.php and the push's wp-content. The webspace runs with a read-only root file system
 * and /tmp as its only scratch space, so the image's pid files and PHP-FPM socket move from /run
 * to /tmp. No `# syntax` directive: the build namespace runs BuildKit's built-in frontend only.
 */
export function wordpressDockerfile(): string {
  const adds = WORDPRESS_PACKAGES.map(
    (pinned) => `ADD --checksum=sha256:${pinned.sha256} ${packageUrl(pinned)} /debs/${packageFile(pinned)}`,
  )
  return [
    `FROM ${DEBIAN_IMAGE} AS wordpress`,
    ...adds,
    `COPY <<'EOF' /assemble.sh`,
    `${ASSEMBLE_SCRIPT}EOF`,
    'RUN sh /assemble.sh /debs /wordpress',
    '',
    `FROM ${PHP_IMAGE}`,
    'USER root',
    // The image's sample pages go; WordPress is the document root's only content.
    `RUN sed -i 's#/run/#/tmp/#g' /etc/nginx/nginx.conf /etc/php83/php-fpm.d/www.conf /etc/supervisor/conf.d/supervisord.conf && rm -rf ${DOCUMENT_ROOT}/*`,
    `COPY <<'EOF' /etc/nginx/conf.d/default.conf`,
    `${NGINX_SERVER}EOF`,
    `COPY <<'EOF' /etc/php83/conf.d/zz-wordpress.ini`,
    `${PHP_SETTINGS}EOF`,
    'USER nobody',
    `COPY --from=wordpress --chown=nobody:nobody /wordpress/ ${DOCUMENT_ROOT}/`,
    `COPY --chown=nobody:nobody <<'EOF' ${DOCUMENT_ROOT}/wp-config.php`,
    `${WP_CONFIG}EOF`,
    `COPY --chown=nobody:nobody wp-content/ ${DOCUMENT_ROOT}/wp-content/`,
    '',
  ].join('\n')
}

export function renderWordPressRuntime(): Runtime {
  return {
    apiVersion: API_VERSION,
    kind: 'Runtime',
    metadata: { name: WORDPRESS_RUNTIME },
    spec: {
      description: `WordPress ${WORDPRESS_VERSION} (Debian's packages, pinned by checksum) on PHP 8.3 with nginx and PHP-FPM, as a non-root user on port 8080; a push carries wp-content. Create one with \`hostplane wordpress create\`.`,
      image: PHP_IMAGE,
      build: { strategy: 'dockerfile' },
      port: 8080,
      healthPath: HEALTH_PATH,
      dockerfile: wordpressDockerfile(),
    },
  }
}
