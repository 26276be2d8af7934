import { secretKindOf } from '../../shared/secrets';

// Where pushed runs live in Blob storage: an account, a container and a folder-like prefix. Accepted spellings:
//   https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX   (Azure)
//   az://ACCOUNT/CONTAINER/PREFIX                            (shorthand for the above)
//   http://127.0.0.1:10000/ACCOUNT/CONTAINER/PREFIX          (path-style: Azurite and other emulators)
// The SAS never travels in this URL: it comes from the secret store or FASTBENCH_AZURE_SAS, so a URL can be printed.

export type ContainerAddress = { accountUrl: string; container: string; prefix: string };

export function isContainerUrl(text: string): boolean {
  return /^(az|https?):\/\//i.test(text);
}

const CONTAINER_NAME = /^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$/;

export function parseContainerUrl(input: string): ContainerAddress {
  if (secretKindOf(input)) {
    throw new Error(
      'the container URL carries a SAS; give the URL without it and set the SAS in FASTBENCH_AZURE_SAS (or "FastBench: Set Azure SAS" in VS Code), so it stays out of shell history and logs',
    );
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new Error(`${JSON.stringify(input)}: expected https://ACCOUNT.blob.core.windows.net/CONTAINER/PREFIX or az://ACCOUNT/CONTAINER/PREFIX`);
  }
  if (url.search || url.hash) throw new Error(`${url.origin}${url.pathname}: expected no query or fragment in the container URL`);
  const segments = url.pathname
    .split('/')
    .filter((s) => s !== '')
    .map(decodeURIComponent);
  let accountUrl: string;
  if (url.protocol === 'az:') {
    // new URL("az://acct/c/p") puts acct in host
    if (!url.hostname) throw new Error(`${input}: expected az://ACCOUNT/CONTAINER/PREFIX`);
    accountUrl = `https://${url.hostname}.blob.core.windows.net`;
  } else if (url.protocol === 'https:' || url.protocol === 'http:') {
    const hostStyle = /^[a-z0-9]+\.blob\./i.test(url.hostname);
    if (hostStyle) {
      accountUrl = `${url.protocol}//${url.host}`;
    } else {
      const account = segments.shift();
      if (!account) throw new Error(`${input}: expected http(s)://HOST/ACCOUNT/CONTAINER/PREFIX for a path-style (emulator) URL`);
      accountUrl = `${url.protocol}//${url.host}/${account}`;
    }
  } else {
    throw new Error(`${input}: expected an https://, http:// or az:// URL`);
  }
  const container = segments.shift();
  if (!container) throw new Error(`${input}: expected a container name after the account`);
  if (!CONTAINER_NAME.test(container)) throw new Error(`${input}: container "${container}": expected 3-63 lowercase letters, digits and single hyphens`);
  return { accountUrl, container, prefix: segments.join('/') };
}

/** The URL of a path inside the container, without any SAS: safe to print. */
export function containerDisplayUrl(a: ContainerAddress, blobPath = a.prefix): string {
  const p = blobPath.split('/').filter(Boolean).map(encodeURIComponent).join('/');
  return `${a.accountUrl}/${a.container}${p ? `/${p}` : ''}`;
}
