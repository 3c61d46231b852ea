import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatFieldErrors, validateResource } from '../api/validate.js'
import { dockerfileProblem } from '../build/jobs/dockerfile.js'
import { ASSEMBLE_SCRIPT } from './assemble.js'
import { HEALTH_PATH, renderWordPressRuntime, UPLOADS_DIR, wordpressDockerfile } from './runtime.js'
import { packageUrl, WORDPRESS_PACKAGES } from './source.js'
import { WP_CONFIG } from './wp-config.js'

describe('the wordpress Runtime', () => {
  it('is a Runtime the schema accepts, built by a Dockerfile the build namespace runs', () => {
    const runtime = renderWordPressRuntime()
    const result = validateResource(runtime)
    assert.ok(result.ok, result.ok ? '' : formatFieldErrors(result.errors))
    assert.equal(runtime.spec.build?.strategy, 'dockerfile')
    assert.equal(dockerfileProblem(runtime.spec.dockerfile), undefined)
    assert.equal(runtime.spec.healthPath, HEALTH_PATH)
  })

  it('fetches each pinned package only with its checksum, and nothing else from the network', () => {
    const lines = wordpressDockerfile().split('\n')
    const fetches = lines.filter((line) => /https?:\/\//.test(line))
    for (const pinned of WORDPRESS_PACKAGES)
      assert.ok(
        fetches.some((line) =>
          line.startsWith(`ADD --checksum=sha256:${pinned.sha256} ${packageUrl(pinned)} `),
        ),
        `no checked ADD of ${pinned.path}`,
      )
    assert.equal(fetches.length, WORDPRESS_PACKAGES.length)
  })

  it('builds from the same assemble script and wp-config.php the tests run, the push giving only wp-content', () => {
    const dockerfile = wordpressDockerfile()
    assert.ok(dockerfile.includes(`COPY <<'EOF' /assemble.sh\n${ASSEMBLE_SCRIPT}EOF\n`))
    assert.ok(dockerfile.includes(`/var/www/html/wp-config.php\n${WP_CONFIG}EOF\n`))
    assert.match(dockerfile, /^COPY --chown=nobody:nobody wp-content\/ \/var\/www\/html\/wp-content\/$/m)
    // The site's uploads volume is where nothing runs as PHP.
    assert.ok(UPLOADS_DIR.endsWith('/wp-content/uploads'))
    assert.match(dockerfile, /location ~\* \^\/wp-content\/uploads\/\.\*\\\.\(php/)
  })

  it('runs under a read-only root file system: nothing the processes write stays under /run', () => {
    assert.match(
      wordpressDockerfile(),
      /sed -i 's#\/run\/#\/tmp\/#g' \/etc\/nginx\/nginx.conf \/etc\/php83\/php-fpm.d\/www.conf \/etc\/supervisor\/conf.d\/supervisord.conf && rm -rf \/var\/www\/html\/\*$/m,
    )
    assert.match(wordpressDockerfile(), /fastcgi_pass unix:\/tmp\/php-fpm.sock;/)
  })
})
