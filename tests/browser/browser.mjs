// The site in a real browser: Debian's Chromium driven by playwright-core.
//
// With JavaScript off (as the site is built to work), on a 360 px phone and a
// desktop window, a visitor reaches both forms and fills them with the
// keyboard alone, makes a mistake, lands on the error summary with what they
// typed still there, fixes it and sees the thank-you page with a reference.
// Every page is screenshotted at both widths, then axe-core audits every page
// (a form with errors included) against WCAG 2.2 AA in light and dark schemes.
//
// Run by tests/browser/run.py, which starts the stack and passes:
//   CLINIC_URL      the site, e.g. http://127.0.0.1:8123
//   ARTIFACTS       where screenshots and the axe report go
//   RESULTS_FILE    where the references sent are written (JSON), for checking
//   TOKEN_MIN_AGE   the stack's token_min_age, in seconds
// It prints one line per check and "browser-node: N passed, M failed".
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_VERSION = require('axe-core/package.json').version;
const PLAYWRIGHT_VERSION = require('playwright-core/package.json').version;

const BASE = process.env.CLINIC_URL;
const ARTIFACTS = process.env.ARTIFACTS;
const RESULTS_FILE = process.env.RESULTS_FILE;
const TOKEN_MIN_AGE = Number(process.env.TOKEN_MIN_AGE || '1');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const REF = /^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{4}$/;

const WIDTHS = [
	{ name: 'phone', viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true },
	{ name: 'desktop', viewport: { width: 1280, height: 800 } },
];

// Pages anyone can open by address; the forms with errors and the thank-you
// page with a reference come from the keyboard journeys.
const PAGES = [
	{ name: 'home', path: '/', status: 200 },
	{ name: 'therapy', path: '/therapies/dynamic-interpersonal-therapy', status: 200 },
	{ name: 'faq', path: '/faq', status: 200 },
	{ name: 'faq-search', path: '/faq?q=sessions', status: 200 },
	{ name: 'faq-no-results', path: '/faq?q=zzzz', status: 200 },
	{ name: 'team', path: '/team', status: 200 },
	{ name: 'team-member', path: '/team/athena-lazaridou', status: 200 },
	{ name: 'privacy', path: '/privacy', status: 200 },
	{ name: 'accessibility', path: '/accessibility', status: 200 },
	{ name: 'contact', path: '/contact', status: 200 },
	{ name: 'start', path: '/start', status: 200 },
	{ name: 'thanks-without-ref', path: '/thanks', status: 200 },
	{ name: 'not-found', path: '/no-such-page', status: 404 },
	{ name: 'nginx-503', path: '/static/errors/503.html', status: 200 },
	{ name: 'nginx-413', path: '/static/errors/413.html', status: 200 },
];

const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

// --- a small runner: named checks, one line each, counted ------------------
let passed = 0;
let failed = 0;
let skipped = 0;
const failures = [];

async function check(name, fn) {
	const started = Date.now();
	try {
		await fn();
		passed++;
		console.log(`  ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
	} catch (err) {
		failed++;
		const message = String(err && err.message ? err.message : err).split('\n').slice(0, 12).join('\n         ');
		failures.push(`${name}: ${message}`);
		console.log(`  FAIL ${name}\n         ${message}`);
	}
}

function assert(condition, message) {
	if (!condition) throw new Error(message);
}

function equal(actual, expected, what) {
	if (actual !== expected)
		throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

// --- screenshots -------------------------------------------------------------
const shotCounters = {};

// The whole page, or with fullPage false just what the window shows.
async function screenshot(page, width, name, fullPage = true) {
	const dir = path.join(ARTIFACTS, 'screenshots', width);
	fs.mkdirSync(dir, { recursive: true });
	shotCounters[width] = (shotCounters[width] || 0) + 1;
	const file = path.join(dir, `${String(shotCounters[width]).padStart(2, '0')}-${name}.png`);
	await page.screenshot({ path: file, fullPage });
	return file;
}

// The page fits the window: nothing to scroll sideways (WCAG 1.4.10 Reflow).
async function assertNoSidewaysScroll(page) {
	const { scrollWidth, innerWidth } = await page.evaluate(() => ({
		scrollWidth: document.documentElement.scrollWidth,
		innerWidth: window.innerWidth,
	}));
	assert(scrollWidth <= innerWidth, `the page is ${scrollWidth}px wide in a ${innerWidth}px window`);
}

// --- keyboard helpers --------------------------------------------------------
async function focused(page) {
	return page.evaluate(() => {
		const el = document.activeElement;
		if (!el || el === document.body) return { tag: 'body' };
		const style = getComputedStyle(el);
		return {
			tag: el.tagName.toLowerCase(),
			id: el.id,
			href: el.getAttribute('href'),
			text: (el.textContent || '').trim().slice(0, 80),
			type: el.getAttribute('type'),
			value: el.value,
			checked: el.checked,
			insideSummary: !!el.closest('#form-feedback'),
			ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0 ||
				style.boxShadow !== 'none',
		};
	});
}

function describe(f) {
	return f.id ? `${f.tag}#${f.id}` : f.href ? `${f.tag}[href=${f.href}]` : `${f.tag} "${f.text}"`;
}

// Presses Tab until want(focused) holds; a control must show where focus is.
async function tabTo(page, want, what, limit = 40) {
	const seen = [];
	for (let i = 0; i < limit; i++) {
		await page.keyboard.press('Tab');
		const f = await focused(page);
		seen.push(describe(f));
		if (want(f)) {
			assert(f.ring, `${describe(f)} has focus but no visible focus indicator`);
			return f;
		}
	}
	throw new Error(`Tab never reached ${what}; focus went through: ${seen.join(', ')}`);
}

// The next Tab must land exactly on the control with this id.
async function tabToId(page, id) {
	await page.keyboard.press('Tab');
	const f = await focused(page);
	equal(describe(f), describe({ tag: f.tag, id }), 'next Tab stop');
	assert(f.ring, `#${id} has focus but no visible focus indicator`);
}

async function type(page, text) {
	await page.keyboard.type(text, { delay: 5 });
}

// A person takes longer than the token's minimum age; make sure we do too.
async function waitForTokenAge(loadedAt) {
	const wait = loadedAt + TOKEN_MIN_AGE * 1000 + 100 - Date.now();
	if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

// Presses Enter on the focused submit button; returns the POST's status.
async function submitWithEnter(page, formPath) {
	const f = await focused(page);
	equal(f.tag, 'button', 'focused control before Enter');
	// The next document, not the one still showing, must be the one loaded.
	const [response] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === formPath),
		page.waitForEvent('framenavigated', (frame) => frame === page.mainFrame()),
		page.keyboard.press('Enter'),
	]);
	await page.waitForLoadState('load');
	return answer(page, response);
}

// A post's status, and what to say about it if it is not the one expected.
async function answer(page, response) {
	const sent = await response.request().allHeaders();
	const heading = await page.textContent('h1').catch(() => '');
	return {
		status: response.status(),
		about: `${response.status()} "${(heading || '').trim()}" (the browser sent Origin: ` +
			`${sent.origin || '(none)'}, Sec-Fetch-Site: ${sent['sec-fetch-site'] || '(none)'})`,
	};
}

function expectStatus(post, status, what) {
	if (post.status !== status) throw new Error(`${what}: expected ${status}, got ${post.about}`);
}

async function values(page, ids) {
	return page.evaluate((list) => Object.fromEntries(list.map((id) => {
		const el = document.getElementById(id);
		return [id, !el ? null : el.type === 'radio' || el.type === 'checkbox' ? el.checked : el.value];
	})), ids);
}

// After a post with errors: the error summary has focus, links to the field.
async function assertErrorSummary(page, post, formPath, fieldId) {
	expectStatus(post, 422, 'the post with a mistake');
	const url = new URL(page.url());
	equal(url.pathname + url.hash, `${formPath}#form-feedback`, 'address after the post');
	const title = await page.title();
	assert(title.startsWith('Error: '), `the title does not start with "Error: ": ${title}`);
	const f = await focused(page);
	assert(f.id === 'form-feedback' || f.id === 'error-summary',
		`focus is on ${describe(f)}, not on the error summary`);
	const summary = await page.evaluate(() => {
		const box = document.getElementById('error-summary');
		if (!box) return null;
		const r = box.getBoundingClientRect();
		return {
			links: [...box.querySelectorAll('a')].map((a) => a.getAttribute('href')),
			text: box.textContent.replace(/\s+/g, ' ').trim(),
			top: r.top,
			bottom: r.bottom,
			height: window.innerHeight,
			inView: r.top > -2 && r.top < window.innerHeight - 40, // sub-pixel scrolling
		};
	});
	assert(summary, 'no error summary on the page');
	assert(summary.links.includes(`#${fieldId}`), `the summary does not link to #${fieldId}: ${summary.text}`);
	assert(summary.inView, `the error summary is not in view after the post: its top is at ${summary.top}px in a ${summary.height}px window`);
}

// Tab from the summary to its link for the field, Enter: focus is on the field.
async function followErrorLink(page, fieldId) {
	await tabTo(page, (f) => f.tag === 'a' && f.href === `#${fieldId}`, `the summary's link to #${fieldId}`, 3);
	await page.keyboard.press('Enter');
	// Polled from here: with JavaScript off the page runs no timers of its own.
	let f = await focused(page);
	for (let i = 0; i < 50 && f.id !== fieldId; i++) {
		await new Promise((resolve) => setTimeout(resolve, 50));
		f = await focused(page);
	}
	equal(f.id, fieldId, 'focused control after following the error link');
}

async function assertThanks(page, width, kind) {
	const url = new URL(page.url());
	equal(url.pathname, '/thanks', 'page after a successful post');
	const ref = url.searchParams.get('ref');
	assert(REF.test(ref || ''), `no reference in ${page.url()}`);
	const shown = (await page.textContent('.reference')).trim();
	equal(shown, ref, 'reference shown on the thank-you page');
	equal((await page.textContent('h1')).trim(), 'Thank you', 'heading of the thank-you page');
	await assertNoSidewaysScroll(page);
	await screenshot(page, width, `thanks-${kind}`);
	return ref;
}

// --- the journeys ------------------------------------------------------------
const sent = []; // {kind, ref, width, fields}

async function contactJourney(page, width) {
	const fields = {
		name: `Alex Keyboard ${width}`,
		email: `alex.${width}@example.org`,
		phone: '',
		message: `I would like to ask about therapy. Typed on the ${width} with the keyboard.`,
	};
	// From the home page: the skip link is the first stop, then the menu.
	await page.goto(BASE + '/');
	await page.keyboard.press('Tab');
	const skip = await focused(page);
	equal(skip.text, 'Skip to main content', 'first Tab stop');
	assert(skip.ring, 'the skip link has no visible focus indicator');
	const visible = await page.evaluate(() => {
		const r = document.activeElement.getBoundingClientRect();
		return r.width > 1 && r.height > 1 && r.top >= 0 && r.left >= 0 && r.right <= window.innerWidth;
	});
	assert(visible, 'the focused skip link is not visible');
	await tabTo(page, (f) => f.tag === 'a' && f.href === '/contact', 'the "Contact us" link');
	await Promise.all([page.waitForURL(BASE + '/contact'), page.keyboard.press('Enter')]);
	let loadedAt = Date.now();

	// First try: a mistake in the email address.
	await tabTo(page, (f) => f.id === 'field-name', 'the name field');
	await type(page, fields.name);
	await tabToId(page, 'field-email');
	await type(page, 'alex.example.org');
	await tabToId(page, 'field-phone');
	await tabToId(page, 'field-message');
	await type(page, fields.message);
	// The consent box links to the privacy notice before the box itself.
	await tabTo(page, (f) => f.tag === 'a' && f.href === '/privacy', 'the privacy notice in the consent box', 1);
	await tabToId(page, 'field-consent');
	await page.keyboard.press('Space');
	await tabTo(page, (f) => f.tag === 'button', 'the Send button', 1);
	await waitForTokenAge(loadedAt);
	let post = await submitWithEnter(page, '/contact');
	loadedAt = Date.now();
	await assertErrorSummary(page, post, '/contact', 'field-email');
	const kept = await values(page, ['field-name', 'field-email', 'field-message', 'field-consent']);
	equal(kept['field-name'], fields.name, 'name kept after the error');
	equal(kept['field-email'], 'alex.example.org', 'email kept after the error');
	equal(kept['field-message'], fields.message, 'message kept after the error');
	equal(kept['field-consent'], true, 'consent kept after the error');
	await assertNoSidewaysScroll(page);
	await screenshot(page, width, 'contact-errors-in-view', false);
	await screenshot(page, width, 'contact-errors');

	// Put it right from the summary's link, then send.
	await followErrorLink(page, 'field-email');
	await page.keyboard.press('ControlOrMeta+A');
	await type(page, fields.email);
	await tabTo(page, (f) => f.tag === 'button', 'the Send button', 6);
	await waitForTokenAge(loadedAt);
	post = await submitWithEnter(page, '/contact');
	expectStatus(post, 303, 'the corrected post');
	const ref = await assertThanks(page, width, 'contact');
	sent.push({ kind: 'contact', ref, width, fields: { ...fields, consent: 'yes' } });
}

async function startJourney(page, width) {
	const fields = {
		name: `Sam Keyboard ${width}`,
		email: `sam.${width}@example.org`,
		phone: '07700 900123',
		contact_method: 'phone',
		voicemail: 'no',
		interest: 'dit',
		reason: `I have been feeling low for a while. Typed on the ${width}.`,
		availability: 'Weekday evenings, after 6pm',
	};
	// From the thank-you page, through the menu.
	await tabTo(page, (f) => f.tag === 'a' && f.href === '/start', 'the "Start your journey" link');
	await Promise.all([page.waitForURL(BASE + '/start'), page.keyboard.press('Enter')]);
	let loadedAt = Date.now();

	// First try: asks for a phone call but leaves the number out.
	await tabTo(page, (f) => f.id === 'field-name', 'the name field');
	await type(page, fields.name);
	await tabToId(page, 'field-email');
	await type(page, fields.email);
	await tabToId(page, 'field-phone');
	await tabToId(page, 'field-contact_method');
	await page.keyboard.press('ArrowDown'); // Email -> Phone
	await tabToId(page, 'field-voicemail');
	await page.keyboard.press('ArrowDown'); // Yes -> No
	await tabToId(page, 'field-interest');
	await page.keyboard.press('Space'); // Dynamic Interpersonal Therapy
	await tabToId(page, 'field-reason');
	await type(page, fields.reason);
	await tabToId(page, 'field-availability');
	await type(page, fields.availability);
	// The consent box links to the privacy notice before the box itself.
	await tabTo(page, (f) => f.tag === 'a' && f.href === '/privacy', 'the privacy notice in the consent box', 1);
	await tabToId(page, 'field-consent');
	await page.keyboard.press('Space');
	const chosen = await values(page, ['field-contact_method-phone', 'field-voicemail-no', 'field-interest', 'field-consent']);
	assert(Object.values(chosen).every((v) => v === true), `the keyboard choices did not stick: ${JSON.stringify(chosen)}`);
	await tabTo(page, (f) => f.tag === 'button', 'the Send button', 1);
	await waitForTokenAge(loadedAt);
	let post = await submitWithEnter(page, '/start');
	loadedAt = Date.now();
	await assertErrorSummary(page, post, '/start', 'field-phone');
	const kept = await values(page, ['field-name', 'field-email', 'field-contact_method-phone', 'field-voicemail-no',
		'field-interest', 'field-reason', 'field-availability', 'field-consent']);
	const expected = {
		'field-name': fields.name, 'field-email': fields.email, 'field-contact_method-phone': true,
		'field-voicemail-no': true, 'field-interest': true, 'field-reason': fields.reason,
		'field-availability': fields.availability, 'field-consent': true,
	};
	for (const [id, value] of Object.entries(expected)) equal(kept[id], value, `${id} kept after the error`);
	await assertNoSidewaysScroll(page);
	await screenshot(page, width, 'start-errors-in-view', false);
	await screenshot(page, width, 'start-errors');

	await followErrorLink(page, 'field-phone');
	await type(page, fields.phone);
	await tabTo(page, (f) => f.tag === 'button', 'the Send button', 12);
	await waitForTokenAge(loadedAt);
	post = await submitWithEnter(page, '/start');
	expectStatus(post, 303, 'the corrected post');
	const ref = await assertThanks(page, width, 'start');
	sent.push({ kind: 'start', ref, width, fields: { ...fields, consent: 'yes' } });
}

// --- axe ---------------------------------------------------------------------
const axeReport = [];

async function runAxe(page) {
	const hasAxe = await page.evaluate(() => typeof window.axe !== 'undefined');
	if (!hasAxe) await page.addScriptTag({ content: AXE_SOURCE });
	return page.evaluate(async (tags) => {
		const result = await window.axe.run(document, {
			runOnly: { type: 'tag', values: tags },
			resultTypes: ['violations', 'incomplete'],
		});
		const nodes = (list) => list.map((rule) => ({
			id: rule.id, impact: rule.impact, help: rule.help, helpUrl: rule.helpUrl, tags: rule.tags,
			nodes: rule.nodes.map((n) => ({ target: n.target, html: n.html, summary: n.failureSummary })),
		}));
		return {
			background: getComputedStyle(document.body).backgroundColor,
			violations: nodes(result.violations),
			incomplete: nodes(result.incomplete),
			passes: result.passes.length,
		};
	}, AXE_TAGS);
}

// A form with a mistake, in the axe browser (JavaScript on, clicks allowed).
async function openFormWithErrors(page, formPath) {
	await page.goto(BASE + formPath);
	const loadedAt = Date.now();
	await page.fill('#field-name', 'Axe Example');
	await page.fill('#field-email', 'not-an-email');
	await waitForTokenAge(loadedAt);
	const [response] = await Promise.all([
		page.waitForResponse((r) => r.request().method() === 'POST'),
		page.waitForEvent('framenavigated', (frame) => frame === page.mainFrame()),
		page.click('button[type=submit]'),
	]);
	await page.waitForLoadState('load');
	expectStatus(await answer(page, response), 422, `${formPath} posted with mistakes`);
}

// Each page is loaded once and audited in the light and then the dark scheme.
async function audit(browser, width, pages) {
	const context = await browser.newContext({
		viewport: width.viewport, isMobile: width.isMobile, hasTouch: width.hasTouch,
		reducedMotion: 'reduce', javaScriptEnabled: true, bypassCSP: true,
	});
	const page = await context.newPage();
	page.setDefaultTimeout(15000);
	for (const target of pages) {
		let loaded = null;
		for (const scheme of ['light', 'dark']) {
			await check(`axe ${width.name} ${scheme}: ${target.name}`, async () => {
				if (loaded === null) {
					loaded = false;
					await page.emulateMedia({ colorScheme: 'light' });
					if (target.form) await openFormWithErrors(page, target.form);
					else await page.goto(BASE + target.path);
					loaded = true;
				}
				assert(loaded, 'the page did not load (see the light scheme)');
				await page.emulateMedia({ colorScheme: scheme });
				const result = await runAxe(page);
				axeReport.push({ page: target.name, url: page.url().replace(BASE, ''), width: width.name, scheme, ...result });
				if (result.violations.length) {
					const lines = result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ` +
						v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; '));
					throw new Error(`${result.violations.length} violation(s):\n${lines.join('\n')}`);
				}
			});
		}
	}
	await context.close();
}

// --- main --------------------------------------------------------------------
async function main() {
	assert(BASE && ARTIFACTS && RESULTS_FILE, 'CLINIC_URL, ARTIFACTS and RESULTS_FILE must be set');
	fs.mkdirSync(ARTIFACTS, { recursive: true });
	const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
	console.log(`  Chromium ${browser.version()}, playwright-core ${PLAYWRIGHT_VERSION}, axe-core ${AXE_VERSION}`);
	try {
		for (const width of WIDTHS) {
			const context = await browser.newContext({
				viewport: width.viewport, isMobile: width.isMobile, hasTouch: width.hasTouch,
				javaScriptEnabled: false, reducedMotion: 'reduce',
			});
			const page = await context.newPage();
			page.setDefaultTimeout(15000);
			const noScript = await page.evaluate(() => true).catch(() => false);
			if (!noScript) {
				// Without a way to measure the page, the reflow check cannot run: said
				// and counted, never passed.
				skipped++;
				console.log(`  skip ${width.name}: no sideways scrolling on any page (this Chromium ` +
					'cannot evaluate in a page with JavaScript off)');
			}
			for (const target of PAGES) {
				await check(`${width.name}: ${target.name} (${target.path})`, async () => {
					const response = await page.goto(BASE + target.path);
					equal(response.status(), target.status, `status of ${target.path}`);
					if (noScript) await assertNoSidewaysScroll(page);
					await screenshot(page, width.name, target.name);
				});
			}
			await check(`${width.name}: contact form by keyboard, a mistake, then sent`, () => contactJourney(page, width.name));
			await check(`${width.name}: start form by keyboard, a mistake, then sent`, () => startJourney(page, width.name));
			await context.close();
		}

		const thanks = sent.length ? `/thanks?ref=${sent[0].ref}` : '/thanks?ref=ABCD-EFGH';
		const auditPages = [
			...PAGES,
			{ name: 'contact-errors', form: '/contact' },
			{ name: 'start-errors', form: '/start' },
			{ name: 'thanks', path: thanks },
		];
		for (const width of WIDTHS) await audit(browser, width, auditPages);
	} finally {
		await browser.close();
		const violations = axeReport.reduce((n, r) => n + r.violations.length, 0);
		fs.writeFileSync(path.join(ARTIFACTS, 'axe-report.json'), JSON.stringify({
			axe: AXE_VERSION, tags: AXE_TAGS, chromium: CHROMIUM, site: BASE,
			pages_audited: axeReport.length, violations, results: axeReport,
		}, null, 2) + '\n');
		fs.writeFileSync(RESULTS_FILE, JSON.stringify({ passed, failed, skipped, failures, sent }, null, 2) + '\n');
		console.log(`  axe: ${axeReport.length} page audits, ${violations} violation(s); report in ${path.join(ARTIFACTS, 'axe-report.json')}`);
	}
	console.log(`browser-node: ${passed} passed, ${failed} failed, ${skipped} skipped`);
	return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
	console.error(`browser: ${err && err.stack ? err.stack : err}`);
	console.log(`browser-node: ${passed} passed, ${failed + 1} failed`);
	process.exit(1);
});
