import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { loadDesired } from '../../src/manifest/index.js';
import { createUiHandler, startUiServer, type UiServer } from '../../src/ui/server.js';
import { projectSource } from '../../src/ui/source.js';
import { makeBankProject, type BankProject } from './bank-project.js';

export interface Dashboard {
  project: BankProject;
  server: UiServer;
  base: string;
  browser: Browser;
  close(): Promise<void>;
}

/** The bank project served by the dashboard on a free port, and a headless Chromium to read it. */
export async function openDashboard(): Promise<Dashboard> {
  const project = await makeBankProject();
  const desired = await loadDesired(join(project.dir, 'cdktf.out'));
  const server = await startUiServer({ host: '127.0.0.1', port: 0 }, createUiHandler(projectSource(desired, project.dir)));
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return {
    project,
    server,
    base: `http://127.0.0.1:${server.address.port}`,
    browser,
    async close() {
      await browser.close();
      await server.close();
      await project.close();
    },
  };
}
