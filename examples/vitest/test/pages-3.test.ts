import { definePagesTests } from './pages.js';

definePagesTests(3);
