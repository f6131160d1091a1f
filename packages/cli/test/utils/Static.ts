import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"

/** A static file server on 127.0.0.1 for URL sources: what "a public URL" is in tests. */
export const serveDirectory = async (root: string) => {
  const server = http.createServer((request, response) => {
    const file = path.join(root, decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname))
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { "content-length": fs.statSync(file).size })
    fs.createReadStream(file).pipe(response)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as { port: number }
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** Every file under `root`, relative, sorted. */
export const listFiles = (root: string): Array<string> =>
  fs.readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort()

/** Every file under `root` whose bytes contain `needle`. */
export const filesContaining = (root: string, needle: string): Array<string> =>
  listFiles(root).filter((file) => fs.readFileSync(path.join(root, file)).includes(needle))
