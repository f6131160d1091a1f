#!/usr/bin/env node
/**
 * The `asrflow` binary: the CLI with every component asrflow ships.
 *
 * @since 0.1.0
 */
import * as Main from "./Main.js"

Main.run()
