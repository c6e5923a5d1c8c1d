import { useEffect, useRef, useState } from 'react';
import { openExternal } from '../../common/platform';

/**
 * A mail body: the server's sanitized HTML in a sandboxed srcdoc frame. No allow-scripts (nothing
 * in the mail can run), its own CSP (no remote loads unless the reader asked for images), links open
 * outside the app. allow-same-origin only lets this page measure the height and catch link taps:
 * without scripts in the frame that grants the mail nothing.
 */
export function MailFrame(props: { html: string; remoteImages: boolean }) {
  const ref = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState(200);
  const origin = window.location.origin;
  const csp = [
    "default-src 'none'",
    `img-src ${props.remoteImages ? '* data: blob:' : `data: ${origin}`}`,
    "style-src 'unsafe-inline'",
    'font-src data:',
  ].join('; ');
  const doc = `<!doctype html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<base target="_blank">
<style>html,body{margin:0;padding:0}body{padding:12px 16px 16px;font:15px/1.6 -apple-system,BlinkMacSystemFont,"PingFang SC","Microsoft YaHei",sans-serif;color:#1f2329;word-wrap:break-word;overflow-wrap:anywhere}img{max-width:100%;height:auto}table{max-width:100%}pre{white-space:pre-wrap}blockquote{margin:8px 0;padding-left:10px;border-left:3px solid #dee0e3;color:#646a73}a{color:#1677ff}</style>
</head><body>${props.html}</body></html>`;

  useEffect(() => {
    const frame = ref.current;
    if (!frame) return;
    const measure = () => {
      const body = frame.contentDocument?.body;
      if (body) setHeight(Math.max(80, Math.ceil(body.scrollHeight) + 8));
    };
    const onLoad = () => {
      measure();
      const d = frame.contentDocument;
      d?.addEventListener('click', (e) => {
        const a = (e.target as Element | null)?.closest?.('a');
        const href = a?.getAttribute('href');
        if (a && href && /^(https?:|mailto:)/i.test(href)) {
          e.preventDefault();
          openExternal(href);
        }
      });
      d?.querySelectorAll('img').forEach((img) => img.addEventListener('load', measure));
    };
    frame.addEventListener('load', onLoad);
    return () => frame.removeEventListener('load', onLoad);
  }, [doc]);

  return (
    <iframe
      ref={ref}
      title="message"
      className="mail-frame"
      data-testid="mail-frame"
      sandbox="allow-same-origin allow-popups allow-popups-to-escape-sandbox"
      srcDoc={doc}
      style={{ height }}
    />
  );
}
