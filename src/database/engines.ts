/** The engine of a DatabaseServer, by its `spec.engine`. */
import type { Engine } from '../api/database.js'
import type { DatabaseEngine, ServerEndpoint } from './engine.js'
import { mariaDbEngine } from './mariadb.js'
import { postgresEngine } from './postgres.js'

export const connectEngine = (engine: Engine, endpoint: ServerEndpoint): DatabaseEngine =>
  engine === 'MariaDB' ? mariaDbEngine(endpoint) : postgresEngine(endpoint)
