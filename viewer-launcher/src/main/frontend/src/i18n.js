// User-facing text in French and English; the language comes from ?lang=fr|en, else the browser.
const TEXT = {
  en: {
    'tool.wl': 'Window / level (W)', 'tool.pan': 'Pan (P)', 'tool.zoom': 'Zoom (Z)', 'tool.scroll': 'Scroll (S)',
    'tool.length': 'Measure a length (L)', presets: 'Window presets (1-5)', invert: 'Invert (I)',
    reset: 'Reset view (R)', fullscreen: 'Full screen (F)', help: 'Keyboard shortcuts (?)',
    language: 'Passer en français',
    'preset.default': 'Default', 'preset.soft': 'Soft tissue', 'preset.lung': 'Lung', 'preset.bone': 'Bone',
    'preset.brain': 'Brain',
    loading: 'Loading…', noStudy: 'No study given (add ?study=<Study Instance UID> to the address).',
    notFound: 'This study was not found.', denied: 'Access denied, or your link has expired.',
    error: 'The images could not be loaded.', images: 'images', series: 'Series', image: 'Image',
    helpText: '↑ ↓ / PageUp PageDown / wheel: previous / next image\nHome End: first / last image\n'
      + '← →: previous / next series\n1-5: window presets   I: invert\nW: window/level   P: pan   Z: zoom   '
      + 'S: scroll   L: length\n+ -: zoom in / out   R: reset view\nF: full screen   ?: this help',
    'portal.title': 'Imaging portal', 'portal.patientId': 'Patient ID', 'portal.patientName': 'Name',
    'portal.search': 'Search', 'portal.date': 'Date', 'portal.patient': 'Patient', 'portal.modality': 'Modality',
    'portal.description': 'Description', 'portal.images': 'Images', 'portal.none': 'No study found.',
    'portal.weasis': 'Open in Weasis', 'portal.web': 'Web viewer',
    'me.title': 'My imaging', 'me.studies': 'My studies', 'me.site': 'Site', 'me.open': 'Open',
    'me.share': 'Share link', 'me.hide': 'Hide from professionals', 'me.unhide': 'Show to professionals',
    'me.until': 'valid until', 'me.blocked': 'Blocked professionals',
    'me.professionalId': 'Professional identifier (RPPS)', 'me.block': 'Block', 'me.unblock': 'Unblock',
    'me.history': 'Who accessed my images', 'me.when': 'When', 'me.who': 'Who', 'me.what': 'What',
    'me.channel': 'Channel', 'me.outcome': 'Outcome',
    'download.dicom': 'Download (DICOM)', 'download.jpeg': 'Download (JPEG)',
    'import.button': 'Import into my PACS', 'import.destination': 'Destination PACS', 'import.queued': 'Waiting…',
    'import.fetching': 'Fetching from the node holding it…', 'import.sending': 'Sending…',
    'import.completed': 'Imported', 'import.failed': 'Import failed', 'import.failedCount': 'failed', 'import.cancel': 'Cancel the import', 'import.cancelling': 'Cancelling…',
    'import.cancelled': 'Import cancelled',
    'login.title': 'Sign in', 'login.oidc': 'Sign in with my account', 'login.role': 'I am',
    'login.patient': 'a patient', 'login.professional': 'a professional',
    'login.id': 'Identifier (national health ID or RPPS)', 'login.organisation': 'Organisation (FINESS)',
    'login.submit': 'Sign in', 'login.failed': 'Sign-in failed',
    'login.devWarning': 'Development sign-in: the node issues test tokens. Never enabled in production.',
    'login.unavailable': 'Signing in is not available on this node.', 'login.as': 'Signed in as',
    'login.logout': 'Log out',
  },
  fr: {
    'tool.wl': 'Fenêtrage (W)', 'tool.pan': 'Déplacer (P)', 'tool.zoom': 'Zoom (Z)', 'tool.scroll': 'Défiler (S)',
    'tool.length': 'Mesurer une longueur (L)', presets: 'Préréglages de fenêtre (1-5)', invert: 'Inverser (I)',
    reset: 'Réinitialiser la vue (R)', fullscreen: 'Plein écran (F)', help: 'Raccourcis clavier (?)',
    language: 'Switch to English',
    'preset.default': 'Par défaut', 'preset.soft': 'Tissus mous', 'preset.lung': 'Poumon', 'preset.bone': 'Os',
    'preset.brain': 'Cerveau',
    loading: 'Chargement…', noStudy: 'Aucun examen indiqué (ajoutez ?study=<Study Instance UID> à l’adresse).',
    notFound: 'Cet examen est introuvable.', denied: 'Accès refusé, ou votre lien a expiré.',
    error: 'Les images n’ont pas pu être chargées.', images: 'images', series: 'Série', image: 'Image',
    helpText: '↑ ↓ / Page préc. Page suiv. / molette : image précédente / suivante\nDébut Fin : première / dernière image\n'
      + '← → : série précédente / suivante\n1-5 : préréglages de fenêtre   I : inverser\nW : fenêtrage   P : déplacer   '
      + 'Z : zoom   S : défiler   L : longueur\n+ - : zoom avant / arrière   R : réinitialiser\n'
      + 'F : plein écran   ? : cette aide',
    'portal.title': 'Portail d’imagerie', 'portal.patientId': 'Identifiant patient', 'portal.patientName': 'Nom',
    'portal.search': 'Rechercher', 'portal.date': 'Date', 'portal.patient': 'Patient', 'portal.modality': 'Modalité',
    'portal.description': 'Description', 'portal.images': 'Images', 'portal.none': 'Aucun examen trouvé.',
    'portal.weasis': 'Ouvrir dans Weasis', 'portal.web': 'Visionneuse web',
    'me.title': 'Mon imagerie', 'me.studies': 'Mes examens', 'me.site': 'Site', 'me.open': 'Ouvrir',
    'me.share': 'Lien de partage', 'me.hide': 'Masquer aux professionnels', 'me.unhide': 'Montrer aux professionnels',
    'me.until': 'valable jusqu’au', 'me.blocked': 'Professionnels bloqués',
    'me.professionalId': 'Identifiant du professionnel (RPPS)', 'me.block': 'Bloquer', 'me.unblock': 'Débloquer',
    'me.history': 'Qui a consulté mes images', 'me.when': 'Quand', 'me.who': 'Qui', 'me.what': 'Quoi',
    'me.channel': 'Canal', 'me.outcome': 'Résultat',
    'download.dicom': 'Télécharger (DICOM)', 'download.jpeg': 'Télécharger (JPEG)',
    'import.button': 'Importer dans mon PACS', 'import.destination': 'PACS de destination',
    'import.queued': 'En attente…', 'import.fetching': 'Récupération auprès du site détenteur…',
    'import.sending': 'Envoi…', 'import.completed': 'Importé',
    'import.failed': 'Échec de l’import', 'import.failedCount': 'en échec', 'import.cancel': 'Annuler l’import',
    'import.cancelling': 'Annulation…', 'import.cancelled': 'Import annulé',
    'login.title': 'Connexion', 'login.oidc': 'Me connecter avec mon compte', 'login.role': 'Je suis',
    'login.patient': 'un patient', 'login.professional': 'un professionnel',
    'login.id': 'Identifiant (INS ou RPPS)', 'login.organisation': 'Structure (FINESS)',
    'login.submit': 'Se connecter', 'login.failed': 'Échec de la connexion',
    'login.devWarning': 'Connexion de développement : le nœud émet des jetons de test. Jamais en production.',
    'login.unavailable': 'La connexion n’est pas disponible sur ce nœud.', 'login.as': 'Connecté :',
    'login.logout': 'Se déconnecter',
  },
};

export function language(search = location.search, nav = navigator.language) {
  const asked = new URLSearchParams(search).get('lang');
  if (asked && TEXT[asked]) return asked;
  return (nav || 'en').toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

export function translator(lang) {
  const table = TEXT[lang] || TEXT.en;
  return (key) => table[key] ?? TEXT.en[key] ?? key;
}

export function applyTitles(t, root = document) {
  root.querySelectorAll('[data-i18n-title]').forEach((el) => {
    el.title = t(el.dataset.i18nTitle);
    el.setAttribute('aria-label', el.title);
  });
}
