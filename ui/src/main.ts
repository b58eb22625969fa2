// The window's entry: asks for the first screen's data, then mounts the shell, so the
// shell and the first screen appear in one paint (see `start`).
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { start } from './lib/app.svelte';
import { match, router } from './lib/router.svelte';
import { resolve } from './routes';

const target = document.getElementById('app');
if (!target) throw new Error('the page has no #app element');
await start(resolve(router.path, match).route.id === 'home');
export default mount(App, { target });
