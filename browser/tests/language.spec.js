// The pages' language: the login page and the neutral page for a dead link
// follow the browser's Accept-Language (Playwright's `locale`); a link's
// form speaks the language of the user it was sent to.

import { test, expect } from './support/fixtures.js';
import { BASE, createUser, mailedLink, newEmail, newPassword, newTenant, pathOf } from './support/usher.js';

let tenant;
test.beforeAll(async () => {
  tenant = await newTenant();
});

const CASES = [
  {
    locale: 'de-DE',
    lang: 'de',
    dead: 'Dieser Link kann nicht verwendet werden',
    title: 'Passwort festlegen',
    label: 'Neues Passwort',
    confirm: 'Neues Passwort wiederholen',
    submit: 'Registrierung abschließen',
    mismatch: 'Die beiden Passwörter stimmen nicht überein.',
  },
  {
    locale: 'fr-FR',
    lang: 'fr',
    dead: 'Ce lien ne peut pas être utilisé',
    title: 'Définir votre mot de passe',
    label: 'Nouveau mot de passe',
    confirm: 'Répétez le nouveau mot de passe',
    submit: "Terminer l'inscription",
    mismatch: 'Les deux mots de passe ne sont pas identiques.',
  },
];

for (const c of CASES) {
  test.describe(`a browser set to ${c.locale}`, () => {
    test.use({ locale: c.locale });

    test(`sees a dead link's page in ${c.lang}`, async ({ page, issues }) => {
      issues.allowStatus(404);
      const res = await page.goto(`/t/${tenant}/reset/usher_rst_nosuchlink`);
      expect(res.request().headers()['accept-language']).toMatch(new RegExp(`^${c.lang}`));
      expect(res.status()).toBe(404);
      await expect(page.locator('html')).toHaveAttribute('lang', c.lang);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(c.dead);
    });

    test(`sees the login page in ${c.lang}`, async ({ page }) => {
      const english = await (await fetch(`${BASE}/t/${tenant}/login`, { headers: { 'accept-language': 'en' } })).text();
      const englishHeading = /<h1[^>]*>([^<]*)</.exec(english)?.[1];
      expect(englishHeading, 'the English login page has a heading').toBeTruthy();
      expect((await page.goto(`/t/${tenant}/login`)).status()).toBe(200);
      await expect(page.locator('html')).toHaveAttribute('lang', c.lang);
      await expect(page.getByRole('heading', { level: 1 })).not.toHaveText(englishHeading.trim());
    });

    test(`fills in a ${c.lang} user's invitation in ${c.lang}, errors included`, async ({ page, issues }) => {
      const email = newEmail(c.lang);
      await createUser(tenant, { email, language: c.lang, send_invitation: true });
      await page.goto(pathOf(await mailedLink(email, '/invite/')));
      await expect(page.locator('html')).toHaveAttribute('lang', c.lang);
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(c.title);
      await page.getByLabel(c.label, { exact: true }).fill(newPassword());
      await page.getByLabel(c.confirm).fill(newPassword());
      issues.allowStatus(422);
      await page.getByRole('button', { name: c.submit }).click();
      await expect(page.getByRole('alert')).toHaveText(c.mismatch);
      await expect(page.getByLabel(c.label, { exact: true })).toHaveAttribute('aria-invalid', 'true');
    });
  });
}

test('an English browser sees the dead link page in English', async ({ page, issues }) => {
  issues.allowStatus(404);
  await page.goto(`/t/${tenant}/invite/usher_inv_nosuchlink`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('This link cannot be used');
});
