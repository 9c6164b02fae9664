// A button that prints the page it is on (the activity's check-in code).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
