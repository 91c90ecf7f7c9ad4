// Lighthouse on every page of the site, in one Debian Chromium.
//
// The pages are the ones the site's own /sitemap.xml lists (so a page added
// to the content is audited without touching this file). Each is audited
// with Lighthouse's default (mobile) settings: a Moto G Power sized screen
// and simulated throttling (slow 4G, 4x CPU), which models the load from the
// page's trace instead of slowing the real network: on a loaded 2-core
// machine the scores move far less than with real throttling.
//
// Run by tests/lighthouse/run.py, which starts the stack and passes:
//   CLINIC_URL   the site, e.g. http://127.0.0.1:8123
//   ARTIFACTS    where the reports go (one HTML and one JSON per page)
//   CHROMIUM     the browser (default /usr/bin/chromium)
//   LIGHTHOUSE_PATHS  optional, e.g. "/faq /team": only these of the sitemap's
//                     pages (to look into one page; make test audits them all)
// It prints one line per page with its four scores and the failed audits,
// and "lighthouse-node: N passed, M failed".
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as chromeLauncher from 'chrome-launcher';
import lighthouse from 'lighthouse';
import puppeteer from 'puppeteer-core';

const require = createRequire(import.meta.url);
const LIGHTHOUSE_VERSION = require('lighthouse/package.json').version;

const BASE = process.env.CLINIC_URL;
const ARTIFACTS = process.env.ARTIFACTS;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// What each category must score (0-100), on every page.
const THRESHOLDS = {
	accessibility: 100,
	seo: 100,
	'best-practices': 95,
	performance: 95,
};

// The same flags as tests/browser: nothing in the browser may reach out to
// the network on its own (this machine has none but the package registries).
const CHROMIUM_FLAGS = [
	'--headless=new',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
	'--disable-default-apps',
	'--disable-extensions',
	'--mute-audio',
];

async function sitemapUrls() {
	const res = await fetch(BASE + '/sitemap.xml');
	if (res.status !== 200) throw new Error(`/sitemap.xml answered ${res.status}`);
	const xml = await res.text();
	const urls = [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => m[1]
		.replace(/&amp;/g, '&'));
	if (urls.length === 0) throw new Error('/sitemap.xml lists no pages');
	return urls;
}

function slug(url) {
	const p = new URL(url).pathname.replace(/^\/+|\/+$/g, '');
	return p ? p.replace(/[^a-z0-9]+/gi, '-') : 'home';
}

async function main() {
	const started = Date.now();
	let passed = 0;
	let failed = 0;
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	let urls = await sitemapUrls();
	if (process.env.LIGHTHOUSE_PATHS) {
		const only = process.env.LIGHTHOUSE_PATHS.split(/\s+/).filter(Boolean);
		urls = urls.filter((url) => only.includes(new URL(url).pathname));
	}
	const chrome = await chromeLauncher.launch({
		chromePath: CHROMIUM,
		chromeFlags: CHROMIUM_FLAGS,
		logLevel: 'error',
	});
	const summary = [];
	// One tab for every page: a new tab per audit would start a new renderer
	// each time, and that start-up lands in the first page's trace as a long
	// "unattributable" task (so in Total Blocking Time), larger the busier
	// the machine. The tab first opens the site once, unaudited.
	const browser = await puppeteer.connect({ browserURL: `http://127.0.0.1:${chrome.port}`, defaultViewport: null });
	const tab = await browser.newPage();
	await tab.goto(BASE + '/', { waitUntil: 'load' });
	try {
		for (const url of urls) {
			const pageStarted = Date.now();
			const result = await lighthouse(url, {
				port: chrome.port,
				output: ['html', 'json'],
				logLevel: 'error',
				onlyCategories: Object.keys(THRESHOLDS),
				// Time, not scores: the full-page screenshot and the back/forward
				// cache check (which navigates away and back) carry no weight in any
				// score, and a page with no script is quiet well within half a
				// second of its load (the defaults wait a second each; the metrics
				// come from the trace, so waiting longer changes nothing).
				disableFullPageScreenshot: true,
				skipAudits: ['bf-cache'],
				pauseAfterFcpMs: 500,
				pauseAfterLoadMs: 500,
				networkQuietThresholdMs: 500,
				cpuQuietThresholdMs: 500,
			}, undefined, tab);
			const lhr = result.lhr;
			const name = slug(url);
			fs.writeFileSync(path.join(ARTIFACTS, `${name}.report.html`), result.report[0]);
			fs.writeFileSync(path.join(ARTIFACTS, `${name}.report.json`), result.report[1]);
			const scores = {};
			const low = [];
			for (const [id, want] of Object.entries(THRESHOLDS)) {
				const category = lhr.categories[id];
				const score = category && category.score !== null ? Math.round(category.score * 100) : -1;
				scores[id] = score;
				if (score < want) {
					// The audits that cost points, so a failure says what to fix.
					const lost = category ? category.auditRefs
						.filter((ref) => ref.weight > 0 && lhr.audits[ref.id].score !== null &&
							lhr.audits[ref.id].score < 1)
						.map((ref) => `${ref.id} (${lhr.audits[ref.id].displayValue || lhr.audits[ref.id].score})`)
						: ['category missing'];
					low.push(`${id} ${score} < ${want}: ${lost.join(', ')}`);
				}
			}
			const runtimeError = lhr.runtimeError ? lhr.runtimeError.message : null;
			if (runtimeError) low.push(`runtime error: ${runtimeError}`);
			const line = `accessibility ${scores.accessibility}, seo ${scores.seo}, ` +
				`best practices ${scores['best-practices']}, performance ${scores.performance}`;
			const seconds = ((Date.now() - pageStarted) / 1000).toFixed(1);
			const where = new URL(url).pathname;
			if (low.length === 0) {
				passed++;
				console.log(`  ok   ${where}: ${line} (${seconds}s)`);
			} else {
				failed++;
				console.log(`  FAIL ${where}: ${line} (${seconds}s)\n         ${low.join('\n         ')}`);
			}
			summary.push({ url, scores, failures: low, seconds: Number(seconds),
				metrics: {
					fcp: lhr.audits['first-contentful-paint'].numericValue,
					lcp: lhr.audits['largest-contentful-paint'].numericValue,
					tbt: lhr.audits['total-blocking-time'].numericValue,
					cls: lhr.audits['cumulative-layout-shift'].numericValue,
					si: lhr.audits['speed-index'].numericValue,
				} });
		}
	} finally {
		await browser.disconnect();
		await chrome.kill();
	}
	fs.writeFileSync(path.join(ARTIFACTS, 'scores.json'), JSON.stringify({
		lighthouse: LIGHTHOUSE_VERSION, thresholds: THRESHOLDS, pages: summary,
		seconds: (Date.now() - started) / 1000,
	}, null, 2));
	console.log(`lighthouse-node: ${passed} passed, ${failed} failed`);
	return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
	console.log(`  FAIL ${err && err.stack ? err.stack : err}`);
	console.log('lighthouse-node: 0 passed, 1 failed');
	process.exit(1);
});
