/**
 * Around the whole test run: every test and every process it spawns gets a private temp dir (TMPDIR =
 * `<system temp>/asrflow-test-XXXXXX`). At the end, anything a test left there fails the run with its
 * name, and the folder is removed, so the system temp dir never keeps an entry from the tests
 * (docs/CONTRIBUTING.md §4.6).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export default function setup(): () => void {
  const previous = process.env.TMPDIR
  const previousPulse = process.env.PULSE_SERVER
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "asrflow-test-"))
  process.env.TMPDIR = root
  // espeak-ng's audio library asks PulseAudio for a runtime folder even when it only writes a file: the
  // first call on a machine made `pulse-*` in the temp dir (and a link to it in ~/.config/pulse). Given a
  // server socket that does not exist it makes neither, looks nothing up, and writes the same WAV
  process.env.PULSE_SERVER = "unix:/nonexistent/pulse"
  return () => {
    if (previous === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = previous
    if (previousPulse === undefined) delete process.env.PULSE_SERVER
    else process.env.PULSE_SERVER = previousPulse
    const left = fs.readdirSync(root).sort()
    fs.rmSync(root, { recursive: true, force: true })
    if (left.length > 0) {
      console.error(
        `\nThe tests left ${left.length} temp entr${left.length === 1 ? "y" : "ies"} behind: ${left.join(", ")}.\n` +
          "Every test must remove what it creates (makeTempDirectoryScoped, or afterAll/finally).\n"
      )
      process.exitCode = 1
    }
  }
}
