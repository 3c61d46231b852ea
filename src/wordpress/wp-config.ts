/**
 * The wp-config.php of every hostplane WordPress: everything comes from the environment (the
 * Webspace's env, read from the Database's Secret and the site's own Secret), so the image holds
 * no secret and one image serves every site. The code is read-only (DISALLOW_FILE_MODS: plugins,
 * themes and core change by a push and a new Release), and the installer answers only the holder
 * of the site's install token, so nobody who finds a fresh site first can make it theirs.
 */

/** Environment variables wp-config.php reads: the salts and keys WordPress signs cookies with. */
export const WORDPRESS_KEYS = [
  'AUTH_KEY',
  'SECURE_AUTH_KEY',
  'LOGGED_IN_KEY',
  'NONCE_KEY',
  'AUTH_SALT',
  'SECURE_AUTH_SALT',
  'LOGGED_IN_SALT',
  'NONCE_SALT',
] as const

/** The variables wp-config.php needs besides the keys (each WORDPRESS_<key> above too). */
export const WORDPRESS_ENV = {
  dbName: 'WORDPRESS_DB_NAME',
  dbUser: 'WORDPRESS_DB_USER',
  dbPassword: 'WORDPRESS_DB_PASSWORD',
  dbHost: 'WORDPRESS_DB_HOST',
  dbPort: 'WORDPRESS_DB_PORT',
  url: 'WORDPRESS_URL',
  installToken: 'WORDPRESS_INSTALL_TOKEN',
} as const

/** The cookie that carries the install token from the install link to the installer's form. */
export const INSTALL_COOKIE = 'hostplane_wordpress_install'

export const WP_CONFIG = `<?php
// Written by hostplane: every setting comes from the environment (see docs/wordpress.md).
$hostplane_env = static function (string $name): string {
    $value = getenv($name);
    if (!is_string($value) || $value === '') {
        error_log("hostplane: WordPress is not configured: the environment variable $name is not set");
        http_response_code(503);
        header('Content-Type: text/plain; charset=utf-8');
        exit("This site is not configured: $name is missing from its environment.\\n");
    }
    return $value;
};

define('DB_NAME', $hostplane_env('${WORDPRESS_ENV.dbName}'));
define('DB_USER', $hostplane_env('${WORDPRESS_ENV.dbUser}'));
define('DB_PASSWORD', $hostplane_env('${WORDPRESS_ENV.dbPassword}'));
define('DB_HOST', $hostplane_env('${WORDPRESS_ENV.dbHost}') . ':' . $hostplane_env('${WORDPRESS_ENV.dbPort}'));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
foreach ([${WORDPRESS_KEYS.map((key) => `'${key}'`).join(', ')}] as $key) {
    define($key, $hostplane_env('WORDPRESS_' . $key));
}
$table_prefix = 'wp_';

// The site's address is the Webspace's domain, never the Host header of whoever asks first.
define('WP_HOME', rtrim($hostplane_env('${WORDPRESS_ENV.url}'), '/'));
define('WP_SITEURL', WP_HOME);
// TLS ends at the ingress, which says so; only the ingress reaches the pods.
if (($_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '') === 'https') {
    $_SERVER['HTTPS'] = 'on';
}

// Code changes by a push and a new Release, never by a write into the running site.
define('DISALLOW_FILE_MODS', true);
define('DISALLOW_FILE_EDIT', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_TEMP_DIR', sys_get_temp_dir());
define('WP_DEBUG', false);

// The installer answers only the holder of the site's install token (the link hostplane printed).
if (PHP_SAPI !== 'cli' && realpath($_SERVER['SCRIPT_FILENAME'] ?? '') === __DIR__ . '/wp-admin/install.php') {
    $token = $hostplane_env('${WORDPRESS_ENV.installToken}');
    $given = $_GET['token'] ?? $_COOKIE['${INSTALL_COOKIE}'] ?? '';
    if (!is_string($given) || !hash_equals($token, $given)) {
        http_response_code(403);
        header('Content-Type: text/plain; charset=utf-8');
        exit("This WordPress is not installed yet. Open the install link of \`hostplane wordpress create\` (run it again to see the link).\\n");
    }
    setcookie('${INSTALL_COOKIE}', $token, [
        'path' => '/wp-admin/',
        'httponly' => true,
        'samesite' => 'Strict',
        'secure' => ($_SERVER['HTTPS'] ?? '') === 'on',
    ]);
}

if (!defined('ABSPATH')) {
    define('ABSPATH', __DIR__ . '/');
}
require_once ABSPATH . 'wp-settings.php';
`
