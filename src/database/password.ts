/**
 * Passwords of tenants' database users: 32 characters of [A-Za-z0-9] (190 bits), which every
 * client library, connection string and shell takes without escaping.
 */
import { randomInt } from 'node:crypto'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
export const PASSWORD = /^[A-Za-z0-9]{32}$/

export function generatePassword(): string {
  let password = ''
  for (let i = 0; i < 32; i++) password += ALPHABET[randomInt(ALPHABET.length)]
  return password
}
