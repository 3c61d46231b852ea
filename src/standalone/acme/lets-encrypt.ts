/**
 * Let's Encrypt's production ACME directory, `hostplane serve --acme-directory`'s default. Kept
 * apart from the issuer so that defining the flags does not load the ACME client.
 */
export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory'
